/**
 * The outside world of the Workers tests, answered in the vitest process (miniflare's
 * `outboundService`): every fetch a test's Worker makes to another host lands here, so no test
 * depends on the network.
 *
 * - `dns.test` is a DNS-over-HTTPS resolver (the JSON API) over {@link ZONE}; a test can change a
 *   name's addresses with `POST http://dns.test/__set?name=…&a=…&aaaa=…` (DNS rebinding).
 * - `receiver.test` (a public address in the zone) is a webhook receiver:
 *   `/<key>/ok`, `/<key>/status/<code>?retryAfter=<s>`, `/<key>/flaky/<n>` (500 n times, then 200),
 *   `/<key>/redirect?to=<url>`, `/<key>/slow/<ms>`, `/<key>/big`; `GET /__log/<key>` lists what it
 *   received under that key (method, url, headers, body).
 * - Anything else answers 502, and is logged under `__other`.
 */

export const DNS_RESOLVER = 'http://dns.test/dns-query';
export const RECEIVER = 'https://receiver.test';

const PUBLIC = '93.184.216.34';
const ZONE = new Map<string, { a: string[]; aaaa: string[] }>([
  ['receiver.test', { a: [PUBLIC], aaaa: [] }],
  ['public.test', { a: [PUBLIC], aaaa: ['2606:2800:220:1:248:1893:25c8:1946'] }],
  ['loopback.test', { a: ['127.0.0.1'], aaaa: [] }],
  ['private.test', { a: ['10.0.0.1'], aaaa: [] }],
  ['metadata.test', { a: ['169.254.169.254'], aaaa: [] }],
  ['v6-loopback.test', { a: [], aaaa: ['::1'] }],
  ['mixed.test', { a: [PUBLIC], aaaa: ['fc00::1'] }],
  ['mapped.test', { a: [], aaaa: ['::ffff:127.0.0.1'] }],
]);

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}
const log = new Map<string, Received[]>();
const counters = new Map<string, number>();

function dns(url: URL, req: Request): Response | Promise<Response> {
  if (url.pathname === '/__set' && req.method === 'POST') {
    const name = url.searchParams.get('name')!;
    const list = (k: string) => url.searchParams.get(k)?.split(',').filter(Boolean) ?? [];
    ZONE.set(name, { a: list('a'), aaaa: list('aaaa') });
    return new Response(null, { status: 204 });
  }
  const name = (url.searchParams.get('name') ?? '').replace(/\.$/, '');
  const type = url.searchParams.get('type');
  const entry = ZONE.get(name);
  const answers = entry ? (type === 'AAAA' ? entry.aaaa : entry.a) : [];
  return Response.json(
    {
      Status: entry ? 0 : 3,
      Answer: answers.map((data) => ({ name, type: type === 'AAAA' ? 28 : 1, TTL: 60, data })),
    },
    { headers: { 'content-type': 'application/dns-json' } },
  );
}

async function receiver(url: URL, req: Request): Promise<Response> {
  const [key, behaviour, arg] = url.pathname.split('/').slice(1);
  if (key === '__log') return Response.json(log.get(behaviour!) ?? []);
  const entry: Received = {
    method: req.method,
    url: url.href,
    headers: Object.fromEntries(req.headers),
    body: await req.text(),
    at: Date.now(),
  };
  log.set(key!, [...(log.get(key!) ?? []), entry]);
  switch (behaviour) {
    case 'status': {
      const retryAfter = url.searchParams.get('retryAfter');
      return new Response(`status ${arg}`, {
        status: Number(arg),
        headers: retryAfter ? { 'retry-after': retryAfter } : {},
      });
    }
    case 'flaky': {
      const seen = (counters.get(key!) ?? 0) + 1;
      counters.set(key!, seen);
      return seen <= Number(arg) ? new Response(`failure ${seen}`, { status: 500 }) : Response.json({ ok: true });
    }
    case 'redirect':
      return new Response(null, { status: 302, headers: { location: url.searchParams.get('to')! } });
    case 'slow':
      await new Promise((r) => setTimeout(r, Number(arg)));
      return Response.json({ ok: true });
    case 'big':
      return new Response('é'.repeat(3000));
    default:
      return Response.json({ ok: true });
  }
}

/** miniflare's `outboundService` for the Workers test project. */
export async function outbound(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.hostname === 'dns.test') return dns(url, req);
  if (url.hostname === 'receiver.test') return receiver(url, req);
  log.set('__other', [
    ...(log.get('__other') ?? []),
    { method: req.method, url: url.href, headers: {}, body: '', at: Date.now() },
  ]);
  return new Response('no such host in the test world', { status: 502 });
}
