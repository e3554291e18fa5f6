import { ApiError } from '../../api.ts';

/** An API failure split into the field it names (if any) and its message. */
export interface FormError {
  field?: string;
  message: string;
}

/** Turns a thrown error into a {@link FormError}; `error.field` points at the input to mark. */
export function formError(err: unknown): FormError {
  if (err instanceof ApiError) return { field: err.field, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** Whether the API's `field` (e.g. `probes.0.url`) belongs to the input named `name` or lies under it. */
export const fieldMatches = (error: FormError | null, name: string): boolean =>
  !!error?.field && (error.field === name || error.field.startsWith(`${name}.`));
