import { ApiError, badRequest } from '../../errors.ts';

/**
 * Reads a request body as text, gunzipping `Content-Encoding: gzip`, and refusing anything
 * over `maxBytes` (after decoding) with a 413 before it is all in memory.
 */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new ApiError(413, 'payload_too_large', `request body exceeds ${maxBytes} bytes`);
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!req.body) throw badRequest('invalid_json', 'request body is empty');

  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase();
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip'));
  else if (encoding !== 'identity') {
    throw new ApiError(
      415,
      'unsupported_encoding',
      `Content-Encoding "${encoding}" is not supported; use gzip or none`,
    );
  }

  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest('invalid_encoding', 'request body could not be decoded as gzip');
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Parses JSON text, or throws a 400 `invalid_json`. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'request body must be valid JSON');
  }
}

/** The refusal of a body that is not declared as JSON; also the source of its OpenAPI example. */
export function unsupportedMediaType(type: string | null): ApiError {
  const got = type === null ? 'none was sent' : `got "${type}"`;
  return new ApiError(415, 'unsupported_media_type', `Content-Type must be application/json; ${got}`);
}

/**
 * Reads a JSON request body: `Content-Type: application/json` is required (a missing one is
 * refused too, so a form or `text/plain` post cannot pass as JSON), then the bounded, gunzipped
 * body is parsed. 415, 413 or 400 `invalid_json` otherwise.
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type');
  if (type === null || !/^application\/json\s*(;|$)/i.test(type)) throw unsupportedMediaType(type);
  return parseJson(await readBody(req, maxBytes));
}
