/**
 * Name resolution for the SSRF guard, over DNS-over-HTTPS (the JSON API Cloudflare and Google
 * serve): Workers have no resolver of their own, and a setting picks the server, so tests can
 * answer from a stub.
 */

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface Resolution {
  /** Every A and AAAA address the name has; empty when it has none. */
  addresses: string[];
  /** Set when neither lookup got an answer (resolver unreachable, refused, or timed out). */
  error?: string;
}

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;

interface DohAnswer {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

async function lookup(
  host: string,
  type: keyof typeof RECORD_TYPES,
  resolver: string,
  fetchFn: Fetch,
  signal?: AbortSignal,
) {
  const url = new URL(resolver);
  url.searchParams.set('name', host);
  url.searchParams.set('type', type);
  const res = await fetchFn(url, { headers: { accept: 'application/dns-json' }, signal });
  if (!res.ok) throw new Error(`resolver answered ${res.status}`);
  const body = (await res.json()) as DohAnswer;
  // 0 NOERROR, 3 NXDOMAIN: both are answers; anything else (SERVFAIL, REFUSED) is not.
  if (body.Status !== 0 && body.Status !== 3) throw new Error(`resolver status ${body.Status}`);
  return (body.Answer ?? [])
    .filter((a) => a.type === RECORD_TYPES[type] && typeof a.data === 'string')
    .map((a) => a.data!);
}

/** Resolves `host` to its A and AAAA addresses (CNAME chains are followed by the resolver). */
export async function resolveHost(
  host: string,
  resolver: string,
  fetchFn: Fetch,
  signal?: AbortSignal,
): Promise<Resolution> {
  const results = await Promise.allSettled([
    lookup(host, 'A', resolver, fetchFn, signal),
    lookup(host, 'AAAA', resolver, fetchFn, signal),
  ]);
  const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  const failures = results.filter((r) => r.status === 'rejected');
  if (failures.length === results.length) {
    const reason = (failures[0] as PromiseRejectedResult).reason;
    return { addresses, error: reason instanceof Error ? reason.message : String(reason) };
  }
  return { addresses };
}
