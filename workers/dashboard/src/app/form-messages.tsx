import { ApiError } from '../api.ts';

/** The API's message for `field` beside its input; `id` lets the input name it in `aria-describedby`. */
export function FieldMessage({ error, field, id }: { error: unknown; field: string; id?: string }) {
  if (!(error instanceof ApiError) || error.field !== field) return null;
  return (
    <span class="field-error" role="alert" id={id}>
      {error.message}
    </span>
  );
}

/** A failure no single field owns, above or below its form (a field's own shows beside it instead). */
export function FormMessage({ error, prefix = '', testId }: { error: Error | null; prefix?: string; testId?: string }) {
  if (!error || (error instanceof ApiError && error.field)) return null;
  return (
    <p class="form-error" role="alert" data-testid={testId}>
      {prefix}
      {error.message}
    </p>
  );
}
