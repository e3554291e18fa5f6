/** Timed HTTP reads for the read benchmarks, shared by Edgewatch's API and its peers. */
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from './load.ts';

/** A server to GET from; `apiKey` goes out as a bearer token when set. */
export interface Endpoint {
  url: string;
  apiKey?: string;
  /** More request headers, e.g. `accept-encoding: identity` for an uncompressed answer. */
  headers?: Record<string, string>;
}

/**
 * GETs `path` and returns the body as text with the round trip (until the last byte) in ms.
 * A 429 is waited out and retried, and only the attempt that succeeds is timed, so a rate
 * limit window never shows up as query latency.
 */
export async function timedGet(to: Endpoint, path: string): Promise<{ ms: number; text: string }> {
  const headers: Record<string, string> = {
    ...to.headers,
    ...(to.apiKey ? { authorization: `Bearer ${to.apiKey}` } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    const res = await fetch(`${to.url}${path}`, { headers });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status === 429 && attempt < 5) {
      await sleep((Number(res.headers.get('retry-after')) || 1) * 1000);
      continue;
    }
    if (!res.ok) throw new Error(`GET ${path.slice(0, 200)}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return { ms, text };
  }
}

export interface Timed {
  p50Ms: number;
  p99Ms: number;
  runs: number;
  /** The last answer's body, to check what the timed query returned. */
  text: string;
}

/** `warmup` untimed GETs (JIT, caches, object start-up), then `runs` timed ones in a row. */
export async function timeGets(to: Endpoint, path: string, runs: number, warmup = 2): Promise<Timed> {
  let text = '';
  for (let i = 0; i < warmup; i++) text = (await timedGet(to, path)).text;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await timedGet(to, path);
    ms.push(r.ms);
    text = r.text;
  }
  return { p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), runs, text };
}
