import type { AlertScopeKind, LabelMatcher } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import { FieldError } from './bits.tsx';
import { MATCH_OPS, SCOPE_KINDS, type RuleDraft } from './rule-draft.ts';
import { TextField } from './text-field.tsx';

export interface FieldsProps {
  draft: RuleDraft;
  set(change: Partial<RuleDraft>): void;
  error: FormError | null;
}

/** Which devices the rule covers: all, one (picked by name), a site or a tag (suggested from the fleet). */
export function ScopeFields({ draft, set, error, devices }: FieldsProps & { devices: readonly DeviceView[] | null }) {
  const sites = [...new Set((devices ?? []).map((d) => d.siteId).filter((s): s is string => !!s))].sort();
  const tags = [...new Set((devices ?? []).flatMap((d) => d.tags))].sort();
  const bad = fieldMatches(error, 'scope.value');
  return (
    <fieldset class="rows">
      <legend>Scope</legend>
      <div class="row">
        <label for="rule-scope-kind">
          Applies to
          <select
            id="rule-scope-kind"
            value={draft.scopeKind}
            onChange={(e) => set({ scopeKind: e.currentTarget.value as AlertScopeKind, scopeValue: '' })}
            data-testid="rule-scope-kind"
          >
            {SCOPE_KINDS.map((s) => (
              <option key={s.kind} value={s.kind}>
                {s.label}
              </option>
            ))}
          </select>
          <FieldError error={error} field="scope.kind" />
        </label>
        {draft.scopeKind === 'device' && (
          <label for="rule-scope-value">
            Device
            <select
              id="rule-scope-value"
              value={draft.scopeValue}
              aria-invalid={bad}
              onChange={(e) => set({ scopeValue: e.currentTarget.value })}
              data-testid="rule-scope-value"
            >
              <option value="">{devices === null ? 'Loading devices…' : 'Choose a device'}</option>
              {(devices ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <FieldError error={error} field="scope.value" />
          </label>
        )}
        {(draft.scopeKind === 'site' || draft.scopeKind === 'tag') && (
          <>
            <TextField
              label={draft.scopeKind === 'site' ? 'Site id' : 'Tag'}
              path="scope.value"
              value={draft.scopeValue}
              error={error}
              list={`rule-scope-${draft.scopeKind}s`}
              onInput={(scopeValue) => set({ scopeValue })}
            />
            <datalist id={`rule-scope-${draft.scopeKind}s`}>
              {(draft.scopeKind === 'site' ? sites : tags).map((v) => (
                <option key={v} value={v} />
              ))}
            </datalist>
          </>
        )}
      </div>
    </fieldset>
  );
}

/** Label matchers: rows of label, operator (`=`, `!=`, `=~`) and value. */
export function MatchersEditor(props: {
  matchers: LabelMatcher[];
  labelNames: readonly string[];
  error: FormError | null;
  onChange(matchers: LabelMatcher[]): void;
}) {
  const { matchers, error } = props;
  const change = (i: number, m: LabelMatcher) => props.onChange(matchers.map((x, j) => (j === i ? m : x)));
  return (
    <fieldset class="rows" data-testid="rule-matchers">
      <legend>Label matchers (all must match)</legend>
      {matchers.length === 0 && <p class="hint">None: every series of the metric in scope.</p>}
      {matchers.map((m, i) => (
        <div class="row" key={i} data-testid="rule-matcher">
          <TextField
            label="Label"
            path={`matchers.${i}.label`}
            value={m.label}
            error={error}
            list="rule-label-names"
            placeholder="mount"
            onInput={(label) => change(i, { ...m, label })}
          />
          <label for={`rule-matcher-op-${i}`}>
            Operator
            <select
              id={`rule-matcher-op-${i}`}
              value={m.op}
              onChange={(e) => change(i, { ...m, op: e.currentTarget.value as LabelMatcher['op'] })}
            >
              {MATCH_OPS.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </select>
          </label>
          <TextField
            label={m.op === '=~' ? 'Regular expression' : 'Value'}
            path={`matchers.${i}.value`}
            value={m.value}
            error={error}
            placeholder={m.op === '=~' ? '/var.*' : '/'}
            onInput={(value) => change(i, { ...m, value })}
          />
          <button
            type="button"
            class="device-secondary"
            aria-label={`Remove matcher ${i + 1}`}
            onClick={() => props.onChange(matchers.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <datalist id="rule-label-names">
        {props.labelNames.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <button
        type="button"
        class="device-secondary"
        onClick={() => props.onChange([...matchers, { label: '', op: '=', value: '' }])}
        data-testid="rule-add-matcher"
      >
        Add a matcher
      </button>
    </fieldset>
  );
}

/** for, keep firing for and repeat interval, as human durations. */
export function TimingFields({ draft, set, error }: FieldsProps) {
  return (
    <fieldset class="rows">
      <legend>Timing</legend>
      <div class="row">
        <TextField
          label="For"
          path="forMs"
          value={draft.forDuration}
          error={error}
          placeholder="5m"
          hint="how long it must hold before firing"
          onInput={(forDuration) => set({ forDuration })}
        />
        <TextField
          label="Keep firing for"
          path="keepFiringForMs"
          value={draft.keepFiringFor}
          error={error}
          placeholder="0s"
          hint="after it clears, against flapping"
          onInput={(keepFiringFor) => set({ keepFiringFor })}
        />
        <TextField
          label="Repeat every"
          path="repeatIntervalMs"
          value={draft.repeatInterval}
          error={error}
          placeholder="never"
          hint="re-notify while firing and unacknowledged; at least 1m"
          onInput={(repeatInterval) => set({ repeatInterval })}
        />
      </div>
    </fieldset>
  );
}
