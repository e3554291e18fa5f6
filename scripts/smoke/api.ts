/** A check failed; the message says what was expected and what came instead. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

export interface Api {
  base: string;
  /** The admin API key, for the stream's upgrade request. */
  key: string;
  /** Calls the API with the admin key, or with `bearer` (a device token) instead. */
  call(method: string, path: string, options?: { body?: unknown; bearer?: string }): Promise<Answer>;
}

export interface Answer {
  status: number;
  body: unknown;
  text: string;
}

/** JSON over HTTP against one deployment, each request bounded by `timeoutMs`. */
export function api(base: string, key: string, timeoutMs: number): Api {
  return {
    base,
    key,
    async call(method, path, options = {}) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.bearer ?? key}`,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause?.message;
        throw new CheckFailed(`${method} ${path}: no answer (${cause ?? (err as Error).message})`);
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text };
    },
  };
}

/** The answer's body when its status is `status`; else a failure quoting the API's error. */
export function expectStatus<T>(answer: Answer, status: number, what: string): T {
  if (answer.status !== status) {
    const error = (answer.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const said = error ? `${error.code}: ${error.message}` : answer.text.slice(0, 200) || '(empty body)';
    throw new CheckFailed(`${what}: expected HTTP ${status}, got ${answer.status} (${said})`);
  }
  return answer.body as T;
}
