/**
 * Reads an export response as it arrives, without holding the body: counts bytes, lines and
 * rows, and keeps the first and last few KB to check the rows' shape.
 */

export interface StreamResult {
  bytes: number;
  lines: number;
  /** One per line, unless a `rowsInLine` counter says otherwise. */
  rows: number;
  seconds: number;
  /** The first and the last complete line (cut at 4 KB). */
  first: string;
  last: string;
}

const NEWLINE = 0x0a;
const KEEP = 4096;

export async function streamGet(
  url: string,
  headers: Record<string, string>,
  rowsInLine?: (line: string) => number,
): Promise<StreamResult> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  if (!res.ok || !res.body) throw new Error(`GET ${url.slice(0, 200)}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let [bytes, lines, rows, head, tail] = [0, 0, 0, '', ''];
  // The unfinished line's pieces: VM's lines run to megabytes, so they are joined once, not per chunk.
  let pending: string[] = [];
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
    const text = decoder.decode(chunk, { stream: true });
    if (head.length < KEEP) head += text.slice(0, KEEP);
    tail = (tail + text).slice(-KEEP);
    if (rowsInLine) {
      const parts = text.split('\n');
      if (parts.length > 1) {
        rows += rowsInLine(pending.join('') + parts[0]);
        for (const line of parts.slice(1, -1)) rows += rowsInLine(line);
        pending = [];
      }
      pending.push(parts.at(-1)!);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const complete = tail.split('\n').filter((l) => l !== '');
  return {
    bytes,
    lines,
    rows: rowsInLine ? rows : lines,
    seconds,
    first: head.split('\n')[0] ?? '',
    last: complete.at(-1) ?? '',
  };
}
