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
