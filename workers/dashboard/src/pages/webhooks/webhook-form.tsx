import { useState } from 'preact/hooks';
import type { AlertRuleView, WebhookFilters } from '../../../../../schema/wire/alerts.ts';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import { FieldError, LeftoverError } from '../alerts/bits.tsx';
import { TextField } from '../alerts/text-field.tsx';
import { WEBHOOK_KINDS, type WebhookBody, type WebhookKind } from './api.ts';

const SEVERITIES = ['critical', 'warning'] as const;
const SHOWN = ['name', 'kind', 'url', 'filters', 'enabled'];

const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The body a channel starts from. */
export const emptyWebhook = (): WebhookBody => ({ name: '', kind: 'generic', url: '', filters: {}, enabled: true });

/**
 * A channel's settings: name, kind, URL, filters (severities, rules, sites; none means every
 * incident) and whether it is on. Used to create one and to edit one; the API's field errors
 * show beside the inputs they name.
 */
export function WebhookForm(props: {
  initial: WebhookBody;
  rules: readonly AlertRuleView[] | null;
  submitLabel: string;
  busy: boolean;
  error: FormError | null;
  onSubmit(body: WebhookBody): void;
}) {
  const [body, setBody] = useState<WebhookBody>(props.initial);
  const [sites, setSites] = useState((props.initial.filters.siteIds ?? []).join(', '));
  const { error } = props;
  const setFilters = (change: Partial<WebhookFilters>) => {
    const filters: WebhookFilters = { ...body.filters, ...change };
    // An empty list is "no filter": the API takes that as the key left out.
    for (const key of Object.keys(filters) as (keyof WebhookFilters)[]) if (!filters[key]?.length) delete filters[key];
    setBody({ ...body, filters });
  };
  const toggle = <T extends string>(list: readonly T[] | undefined, value: T, on: boolean): T[] =>
    on ? [...(list ?? []), value] : (list ?? []).filter((v) => v !== value);

  return (
    <form
      class="alerts-form"
      noValidate
      data-testid="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        const siteIds = splitList(sites);
        props.onSubmit({
          ...body,
          name: body.name.trim(),
          url: body.url.trim(),
          filters: { ...body.filters, ...(siteIds.length ? { siteIds } : { siteIds: undefined }) },
        });
      }}
    >
      <div class="row">
        <TextField
          label="Name"
          path="name"
          prefix="webhook"
          value={body.name}
          error={error}
          required
          maxLength={200}
          placeholder="On-call pager"
          onInput={(name) => setBody({ ...body, name })}
        />
        <label for="webhook-kind">
          Kind
          <select
            id="webhook-kind"
            value={body.kind}
            aria-invalid={fieldMatches(error, 'kind')}
            onChange={(e) => setBody({ ...body, kind: e.currentTarget.value as WebhookKind })}
            data-testid="webhook-kind"
          >
            {WEBHOOK_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
          <FieldError error={error} field="kind" />
        </label>
      </div>
      <div class="row">
        <TextField
          label="URL"
          path="url"
          prefix="webhook"
          value={body.url}
          error={error}
          required
          wide
          placeholder="https://hooks.example.com/edgewatch"
          hint="HTTPS to a public address (private ones only where the platform allows them)"
          onInput={(url) => setBody({ ...body, url })}
        />
      </div>
      <fieldset class="rows">
        <legend>Only incidents that match (leave a filter empty for all)</legend>
        <div class="row" role="group" aria-label="Severities">
          {SEVERITIES.map((s) => (
            <label key={s} class="inline">
              <input
                type="checkbox"
                checked={body.filters.severities?.includes(s) ?? false}
                onChange={(e) =>
                  setFilters({ severities: toggle(body.filters.severities, s, e.currentTarget.checked) })
                }
                data-testid={`webhook-severity-${s}`}
              />{' '}
              {s}
            </label>
          ))}
          <FieldError error={error} field="filters.severities" />
        </div>
        {props.rules && props.rules.length > 0 && (
          <div class="row" role="group" aria-label="Rules">
            {props.rules.map((r) => (
              <label key={r.id} class="inline">
                <input
                  type="checkbox"
                  checked={body.filters.ruleIds?.includes(r.id) ?? false}
                  onChange={(e) => setFilters({ ruleIds: toggle(body.filters.ruleIds, r.id, e.currentTarget.checked) })}
                />{' '}
                {r.name}
              </label>
            ))}
            <FieldError error={error} field="filters.ruleIds" />
          </div>
        )}
        <div class="row">
          <TextField
            label="Site ids (comma-separated)"
            path="filters.siteIds"
            prefix="webhook"
            value={sites}
            error={error}
            placeholder="all sites"
            onInput={setSites}
          />
        </div>
      </fieldset>
      <div class="row">
        <label class="inline">
          <input
            type="checkbox"
            checked={body.enabled}
            onChange={(e) => setBody({ ...body, enabled: e.currentTarget.checked })}
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
