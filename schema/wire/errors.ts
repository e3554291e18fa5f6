/** The one error body every endpoint returns. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** Dotted path of the offending input, e.g. `samples.3.value`. */
    field?: string;
  };
}
