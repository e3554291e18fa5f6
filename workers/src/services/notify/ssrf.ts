import ipaddr from 'ipaddr.js';
import { resolveHost, type Fetch } from './dns.ts';

/**
 * The SSRF guard: a webhook may only reach public addresses. A URL is refused when its host is,
 * or resolves to, an address in any special range (loopback, private, CGNAT, link-local with the
 * metadata address, unspecified, multicast, broadcast, reserved, IPv6 unique-local and link-local,
 * and IPv4 embedded in IPv6 (mapped, NAT64, 6to4) in those), or is a local name (`localhost`).
 * Checked when a webhook is created or changed and again before every request, redirects
 * included (redirects.ts), since DNS can change. Targets listed in ALLOW_PRIVATE_WEBHOOKS
 * (or every target, when it is `true`) skip it, for local development.
 */

export interface PrivateTargets {
  all: boolean;
  /** `host:port` as written in URLs, lowercased. */
  targets: readonly string[];
}

export interface GuardOptions {
  allowPrivate: PrivateTargets;
  /** DNS-over-HTTPS resolver URL (JSON API). */
  resolver: string;
  fetch?: Fetch;
  signal?: AbortSignal;
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  uniqueLocal: 'unique-local',
  reserved: 'reserved',
};

/** The IPv4 address an IPv6 one carries, for the forms that route to it. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = ip.range();
  const p = ip.parts;
  const fromWords = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  if (range === 'ipv4Mapped' || range === 'rfc6145') return fromWords(p[6]!, p[7]!);
  // 64:ff9b::/96 only: the local-use NAT64 prefix (64:ff9b:1::/48) is refused whole.
  if (range === 'rfc6052' && ip.match(ipaddr.IPv6.parse('64:ff9b::'), 96)) return fromWords(p[6]!, p[7]!);
  if (range === '6to4') return fromWords(p[1]!, p[2]!);
  return undefined;
}

/** Why an address is not public (e.g. `loopback`), or null for a public unicast address. */
export function nonPublicKind(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'unparseable';
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v4 = embeddedIPv4(ip as ipaddr.IPv6);
    if (v4) {
      const inner = nonPublicKind(v4.toString());
      return inner && `${inner} (IPv4 in IPv6)`;
    }
  }
  const range = ip.range();
  return range === 'unicast' ? null : (RANGE_NAMES[range] ?? `non-public (${range})`);
}

const isLocalName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

/** `host:port` of a URL with its default port filled in, as ALLOW_PRIVATE_WEBHOOKS lists them. */
const targetOf = (url: URL) =>
  `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`.toLowerCase();

export const isExempt = (url: URL, allow: PrivateTargets) => allow.all || allow.targets.includes(targetOf(url));

/**
 * Why `raw` may not be a webhook target, or null when it may. `when` is `create` for a URL being
 * saved, where an unreachable resolver or a name without addresses is let through (the check
 * before each attempt decides then); before an attempt (`deliver`) both refuse.
 */
export async function refusal(
  raw: string | URL,
  opts: GuardOptions,
  when: 'create' | 'deliver',
): Promise<string | null> {
  const url = typeof raw === 'string' ? (URL.canParse(raw) ? new URL(raw) : null) : raw;
  if (!url || !/^https?:$/.test(url.protocol) || url.hostname === '') return 'not a valid webhook URL';
  const exempt = isExempt(url, opts.allowPrivate);
  if (url.protocol === 'http:' && !exempt)
    return 'a webhook URL must use https (http only for targets allowed by ALLOW_PRIVATE_WEBHOOKS)';
  if (exempt) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const kind = nonPublicKind(host);
    return kind && `the webhook URL's host ${url.hostname} is a ${kind} address`;
  }
  if (isLocalName(host)) return `the webhook URL's host ${url.hostname} is a local name`;
  const found = await resolveHost(host, opts.resolver, opts.fetch ?? fetch, opts.signal);
  for (const address of found.addresses) {
    const kind = nonPublicKind(address);
    if (kind) return `the webhook URL's host ${url.hostname} resolves to ${address}, a ${kind} address`;
  }
  if (when === 'create') return null;
  if (found.error) return `could not resolve the webhook URL's host ${url.hostname}: ${found.error}`;
  return found.addresses.length === 0 ? `the webhook URL's host ${url.hostname} does not resolve` : null;
}
