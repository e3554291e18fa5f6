import { useState } from 'preact/hooks';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import { FieldError, LeftoverError } from '../alerts/bits.tsx';
import { TextField } from '../alerts/text-field.tsx';
import type { WebhookKind } from './api.ts';
import { deviceChoices, HOST_TARGET_CHOICES, isHostKind, kindChoices, type WebhookDraft } from './draft.ts';
import { Checks } from './filter-checks.tsx';
import './webhooks.css';

const SEVERITIES = ['critical', 'warning'] as const;
const SHOWN = ['name', 'kind', 'url', 'filters', 'hosts', 'enabled'];

/**
 * A channel's settings: name, kind, URL (none for host notices), filters (severities, rules,
 * sites, devices, tags; none means every incident), for host notices which hosts get them, and
 * whether it is on. Used to create one (`existingKind` null) and to edit one; the API's field
 * errors show beside the inputs they name.
 */
export function WebhookForm(props: {
  initial: WebhookDraft;
  /** The kind of the channel edited; null when creating one. */
  existingKind: WebhookKind | null;
  rules: readonly AlertRuleView[] | null;
  devices: readonly DeviceView[] | null;
  submitLabel: string;
  busy: boolean;
  error: FormError | null;
  /** With the draft as it stands: `bodyOf` or `updateOf` makes what to send. */
  onSubmit(draft: WebhookDraft): void;
}) {
  const [draft, setDraft] = useState<WebhookDraft>(props.initial);
  const set = (change: Partial<WebhookDraft>) => setDraft({ ...draft, ...change });
  const { error } = props;
  const host = isHostKind(draft.kind);
  const kinds = kindChoices(props.existingKind);

  return (
    <form
      class="alerts-form"
      noValidate
      data-testid="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(draft);
      }}
    >
      <div class="row">
        <TextField
          label="Name"
          path="name"
          prefix="webhook"
          value={draft.name}
          error={error}
          required
          maxLength={200}
          placeholder="On-call pager"
          onInput={(name) => set({ name })}
        />
        <label for="webhook-kind">
          Kind
          <select
            id="webhook-kind"
            value={draft.kind}
            disabled={props.existingKind !== null}
            aria-describedby="webhook-kind-note"
            aria-invalid={fieldMatches(error, 'kind')}
            onChange={(e) => set({ kind: e.currentTarget.value as WebhookKind })}
            data-testid="webhook-kind"
          >
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
          {fieldMatches(error, 'kind') ? (
            <FieldError error={error} field="kind" id="webhook-kind-note" />
          ) : (
            <span class="hint" id="webhook-kind-note">
              {props.existingKind === null ? '' : 'fixed when the channel is made'}
            </span>
          )}
        </label>
      </div>
      {host ? (
        <p class="hint host-note" data-testid="webhook-host-note">
          No URL: each incident the filters pass becomes a notice for the agents of the hosts chosen below. Each agent
          writes it to its log on the host, and to logged-in terminals (wall) or the system journal when its device's
          agent configuration turns those on.
        </p>
      ) : (
        <div class="row">
          <TextField
            label="URL"
            path="url"
            prefix="webhook"
            value={draft.url}
            error={error}
            required
            wide
            placeholder="https://hooks.example.com/edgewatch"
            hint="HTTPS to a public address (private ones only where the platform allows them)"
            onInput={(url) => set({ url })}
          />
        </div>
      )}
      <fieldset class="rows">
        <legend>
          {host
            ? 'Whose incidents (leave a filter empty for all; none at all: the whole organisation)'
            : 'Only incidents that match (leave a filter empty for all)'}
        </legend>
        <Checks
          label="Severities"
          field="filters.severities"
          choices={SEVERITIES.map((s) => [s, s] as const)}
          picked={draft.severities}
          error={error}
          testId="webhook-severity"
          onChange={(severities) => set({ severities })}
        />
        {props.rules && props.rules.length > 0 && (
          <Checks
            label="Rules"
            field="filters.ruleIds"
            choices={props.rules.map((r) => [r.id, r.name] as const)}
            picked={draft.ruleIds}
            error={error}
            testId="webhook-rule"
            onChange={(ruleIds) => set({ ruleIds })}
          />
        )}
        <div class="filter-devices">
          <span class="filter-title">Devices</span>
          {props.devices === null ? (
            <p class="muted">Loading devices…</p>
          ) : (
            <Checks
              label="Devices"
              field="filters.deviceIds"
              class="pick-list"
              choices={deviceChoices(props.devices, draft.deviceIds)}
              picked={draft.deviceIds}
              error={error}
              testId="webhook-device"
              empty="No devices yet."
              onChange={(deviceIds) => set({ deviceIds })}
            />
          )}
        </div>
        <div class="row">
          <TextField
            label="Site ids (comma-separated)"
            path="filters.siteIds"
            prefix="webhook"
            value={draft.siteIds}
            error={error}
            placeholder="all sites"
            onInput={(siteIds) => set({ siteIds })}
          />
          <TextField
            label="Device tags (comma-separated, any of them)"
            path="filters.tags"
            prefix="webhook"
            value={draft.tags}
            error={error}
            placeholder="all tags"
            onInput={(tags) => set({ tags })}
          />
        </div>
      </fieldset>
      {host && (
        <fieldset class="rows" aria-describedby="webhook-hosts-hint" data-testid="webhook-hosts">
          <legend>Which hosts get each notice</legend>
          <div class="row">
            {HOST_TARGET_CHOICES.map((c) => (
              <label key={c.hosts} class="inline">
                <input
                  type="radio"
                  name="webhook-hosts"
                  value={c.hosts}
                  checked={draft.hosts === c.hosts}
                  onChange={() => set({ hosts: c.hosts })}
                  data-testid={`webhook-hosts-${c.hosts}`}
                />{' '}
                {c.label}
              </label>
            ))}
          </div>
          <p class="hint" id="webhook-hosts-hint" data-testid="webhook-hosts-hint">
            {draft.hosts === 'covered'
              ? 'Severities and rules choose which incidents pass; devices, sites and tags also choose which hosts get them.'
              : 'The filters only choose which incidents pass; each notice goes to one host.'}
          </p>
          <FieldError error={error} field="hosts" />
        </fieldset>
      )}
      <div class="row">
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => set({ enabled: e.currentTarget.checked })}
            data-testid="webhook-enabled"
          />{' '}
          Enabled
        </label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={props.busy} data-testid="webhook-save">
          {props.submitLabel}
        </button>
      </div>
      <LeftoverError error={error} shown={SHOWN} />
    </form>
  );
}
