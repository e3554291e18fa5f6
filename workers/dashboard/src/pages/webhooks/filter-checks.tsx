import type { FormError } from '../device/field-error.ts';
import { FieldError } from '../alerts/bits.tsx';

const toggle = <T extends string>(list: readonly T[], value: T, on: boolean): T[] =>
  on ? [...list, value] : list.filter((v) => v !== value);

/** One checkbox per choice, for a filter list (`filters.ruleIds`); its API error beside them. */
export function Checks<T extends string>(p: {
  label: string;
  field: string;
  choices: readonly (readonly [T, string])[];
  picked: readonly T[];
  error: FormError | null;
  testId: string;
  /** Shown when there is nothing to choose. */
  empty?: string;
  class?: string;
  onChange(picked: T[]): void;
}) {
  return (
    <div class={p.class ? `row ${p.class}` : 'row'} role="group" aria-label={p.label} data-testid={`${p.testId}-group`}>
      {p.choices.length === 0 && p.empty && <span class="muted">{p.empty}</span>}
      {p.choices.map(([value, text]) => (
        <label key={value} class="inline">
          <input
            type="checkbox"
            checked={p.picked.includes(value)}
            onChange={(e) => p.onChange(toggle(p.picked, value, e.currentTarget.checked))}
            data-testid={`${p.testId}-${value}`}
          />{' '}
          {text}
        </label>
      ))}
      <FieldError error={p.error} field={p.field} />
    </div>
  );
}
