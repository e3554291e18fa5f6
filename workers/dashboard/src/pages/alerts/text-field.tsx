import { fieldMatches, type FormError } from '../device/field-error.ts';
import { FieldError } from './bits.tsx';

export interface TextFieldProps {
  label: string;
  /** The API's dotted path for this value (`condition.critical.clear`): its error shows here. */
  path: string;
  value: string;
  error: FormError | null;
  onInput(value: string): void;
  placeholder?: string;
  /** Shown under the input while there is no error. */
  hint?: string;
  list?: string;
  numeric?: boolean;
  wide?: boolean;
  required?: boolean;
  maxLength?: number;
  /** Starts the input's id and test id (`rule-name`); `rule` by default. */
  prefix?: string;
}

const slug = (path: string) => path.replace(/[^a-zA-Z0-9]+/g, '-');

/** A labelled text input with its hint, or the error the API gave for its path. */
export function TextField(p: TextFieldProps) {
  const id = `${p.prefix ?? 'rule'}-${slug(p.path)}`;
  const bad = fieldMatches(p.error, p.path);
  return (
    <label class={p.wide ? 'wide' : undefined} for={id}>
      {p.label}
      <input
        id={id}
        value={p.value}
        placeholder={p.placeholder}
        list={p.list}
        required={p.required}
        maxLength={p.maxLength}
        inputMode={p.numeric ? 'decimal' : undefined}
        aria-invalid={bad}
        aria-describedby={`${id}-note`}
        onInput={(e) => p.onInput(e.currentTarget.value)}
        data-testid={id}
      />
      {bad ? (
        <FieldError error={p.error} field={p.path} id={`${id}-note`} />
      ) : (
        <span class="hint" id={`${id}-note`}>
          {p.hint ?? ''}
        </span>
      )}
    </label>
  );
}
