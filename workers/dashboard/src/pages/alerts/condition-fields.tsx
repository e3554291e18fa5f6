import type { Comparison } from '../../../../../schema/wire/alerts.ts';
import type { FormError } from '../device/field-error.ts';
import { COMPARISONS, CONDITION_KINDS, type ConditionKind, type LevelDraft, type RuleDraft } from './rule-draft.ts';
import type { FieldsProps } from './rule-fields.tsx';
import { TextField } from './text-field.tsx';

function Level(props: {
  name: 'warning' | 'critical';
  level: LevelDraft;
  error: FormError | null;
  onChange(l: LevelDraft): void;
}) {
  const path = `condition.${props.name}`;
  const title = props.name === 'warning' ? 'Warning' : 'Critical';
  return (
    <div class="row level" data-testid={`rule-level-${props.name}`}>
      <TextField
        label={`${title} at`}
        path={`${path}.value`}
        value={props.level.value}
        error={props.error}
        numeric
        placeholder={props.name === 'warning' ? '80' : '90'}
        hint="empty: no such level"
        onInput={(value) => props.onChange({ ...props.level, value })}
      />
      <TextField
        label={`${title} clears at`}
        path={`${path}.clear`}
        value={props.level.clear}
        error={props.error}
        numeric
        hint="empty: the same value (no hysteresis)"
        onInput={(clear) => props.onChange({ ...props.level, clear })}
      />
    </div>
  );
}

/** The condition: its kind, then the thresholds, window or absence time that kind needs. */
export function ConditionFields({ draft, set, error }: FieldsProps) {
  const levels = draft.kind === 'threshold' || draft.kind === 'rate';
  return (
    <fieldset class="rows" data-testid="rule-condition">
      <legend>Condition</legend>
      <div class="row">
        <label for="rule-kind">
          Kind
          <select
            id="rule-kind"
            value={draft.kind}
            onChange={(e) => set({ kind: e.currentTarget.value as ConditionKind })}
            data-testid="rule-kind"
          >
            {CONDITION_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        {levels && (
          <label for="rule-op">
            Fires when the {draft.kind === 'rate' ? 'rate' : 'value'} is
            <select
              id="rule-op"
              value={draft.op}
              onChange={(e) => set({ op: e.currentTarget.value as Comparison })}
              data-testid="rule-op"
            >
              {COMPARISONS.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.kind === 'threshold' && (
          <label for="rule-agg">
            Of
            <select
              id="rule-agg"
              value={draft.aggFn}
              onChange={(e) => set({ aggFn: e.currentTarget.value as RuleDraft['aggFn'] })}
              data-testid="rule-agg"
            >
              <option value="">each sample</option>
              <option value="mean">the mean over a window</option>
              <option value="max">the maximum over a window</option>
              <option value="min">the minimum over a window</option>
            </select>
          </label>
        )}
        {draft.kind === 'threshold' && draft.aggFn && (
          <TextField
            label="Window"
            path="condition.aggregation.windowMs"
            value={draft.aggWindow}
            error={error}
            placeholder="5m"
            onInput={(aggWindow) => set({ aggWindow })}
          />
        )}
        {draft.kind === 'rate' && (
          <TextField
            label="Rate over"
            path="condition.windowMs"
            value={draft.rateWindow}
            error={error}
            placeholder="5m"
            hint="(last − first) / seconds"
            onInput={(rateWindow) => set({ rateWindow })}
          />
        )}
        {(draft.kind === 'no_data' || draft.kind === 'offline') && (
          <TextField
            label={draft.kind === 'no_data' ? 'No sample for' : 'No batch for'}
            path="condition.afterMs"
            value={draft.after}
            error={error}
            placeholder={draft.kind === 'no_data' ? '10m' : 'twice its interval'}
            hint={draft.kind === 'offline' ? "empty: twice the device's interval" : undefined}
            onInput={(after) => set({ after })}
          />
        )}
      </div>
      {levels && (
        <>
          <Level name="warning" level={draft.warning} error={error} onChange={(warning) => set({ warning })} />
          <Level name="critical" level={draft.critical} error={error} onChange={(critical) => set({ critical })} />
        </>
      )}
    </fieldset>
  );
}
