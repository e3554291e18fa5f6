import * as z from 'zod/mini';
import { INGEST_MAX_SAMPLES } from '../../schema/wire/ingest.ts';

/** A whole number within bounds, written as a string in `[vars]`, with its default. */
const count = (fallback: number, min: number, max: number) =>
  z.prefault(
    z.pipe(
      z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
      z.pipe(
        z.transform((s: string) => Number(s)),
        z.number().check(z.int(), z.gte(min), z.lte(max)),
      ),
    ),
    String(fallback),
  );

/** An http(s) URL, without a trailing slash. */
const httpUrlString = z.pipe(
  z.string().check(z.refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http(s) URL')),
  z.transform((s: string) => s.replace(/\/+$/, '')),
);
const httpUrl = (fallback: string) => z.prefault(httpUrlString, fallback);

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Comma-separated durations (`5s,5m,2h`), each at most `maxMs`, as milliseconds. */
const durationList = (fallback: string, maxMs: number) =>
  z.prefault(
    z.pipe(
      z.string().check(z.regex(/^\d+[smh](,\d+[smh]){0,19}$/, 'must be 1-20 durations such as 5s,5m,2h')),
      z.pipe(
        z.transform((s: string) =>
          s.split(',').map((d) => Number(d.slice(0, -1)) * DURATION_UNITS_MS[d.slice(-1) as 's' | 'm' | 'h']),
        ),
        z.array(z.number().check(z.lte(maxMs, `each must be at most ${maxMs / 3_600_000} h`))),
      ),
    ),
    fallback,
  );

/**
 * Webhook targets exempt from the SSRF guard: none (`""`), every one (`true`), or a list of
 * `host:port` as written in the URL (`127.0.0.1:8080,[::1]:9000`).
 */
const privateTargets = z.prefault(
  z.pipe(
    z
      .string()
      .check(
        z.regex(
          /^(|true|false|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(,(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})*)$/,
          'must be empty, true, false or host:port entries separated by commas',
        ),
      ),
    z.transform((s: string) => ({
      all: s === 'true',
      targets: s === 'true' || s === 'false' || s === '' ? [] : s.toLowerCase().split(','),
    })),
  ),
  '',
);

/**
 * Every `[vars]` setting of the Worker, parsed once: its name, bounds, default and an example
 * shown when a value is refused. Add a setting here and in wrangler.toml, nowhere else.
 */
const SETTINGS = {
  /** Ingest batches a device may send per minute (a token bucket in its DeviceHub). */
  INGEST_RATE_PER_MINUTE: { schema: count(600, 1, 1_000_000), example: '600' },
  /** Batches a device may send at once before the rate applies; defaults to the rate. */
  INGEST_BURST: { schema: z.optional(count(0, 1, 1_000_000)), example: '600' },
  /** Samples in one ingest batch. */
  INGEST_MAX_SAMPLES: { schema: count(INGEST_MAX_SAMPLES, 1, 100_000), example: '5000' },
  /** Bytes of one ingest body, after gzip decoding. */
  INGEST_MAX_BYTES: { schema: count(2_000_000, 1024, 100_000_000), example: '2000000' },
  /** Distinct series one device may register; a batch that would pass it is refused whole. */
  SERIES_PER_DEVICE: { schema: count(10_000, 1, 1_000_000), example: '10000' },
  /** A device is online if it reported within this many seconds, stale within 10×, else offline. */
  ONLINE_WINDOW_SECONDS: { schema: count(60, 1, 86_400), example: '60' },
  /**
   * Longest wait of a live sample under load: an idle hub sends a publish at once, and past one
   * frame in this many ms publishes are coalesced into one data frame at its end. 0 sends every publish at once.
   */
  STREAM_FLUSH_MS: { schema: count(20, 0, 10_000), example: '20' },
  /**
   * Live streams (docs/stream-protocol.md, "Sharded layout"): publish hubs per org, devices spread
   * over them by a hash of their id. 1 with STREAM_RELAYS 1 is one `org:<org>` hub and no relay hop.
   */
  STREAM_PUBLISH_SHARDS: { schema: count(1, 1, 64), example: '4' },
  /** Relay hubs per org that serve viewers (by a hash of their credential), each fed by every publish hub. */
  STREAM_RELAYS: { schema: count(1, 1, 64), example: '8' },
  /** Who may create an organisation: anyone, only someone holding an invitation, or nobody. */
  SIGNUP: {
    schema: z.prefault(z.enum(['open', 'invite', 'closed'], 'must be open, invite or closed'), 'closed'),
    example: 'invite',
  },
  /** A session ends after this many minutes without a request. */
  SESSION_IDLE_MINUTES: { schema: count(7 * 24 * 60, 5, 366 * 24 * 60), example: '10080' },
  /** A session ends this many days after sign-in, however active. */
  SESSION_MAX_DAYS: { schema: count(30, 1, 366), example: '30' },
  /** An invitation link works for this many days. */
  INVITATION_TTL_DAYS: { schema: count(7, 1, 90), example: '7' },
  /** Webhook targets exempt from the SSRF guard (local development): "", true, or host:port entries. */
  ALLOW_PRIVATE_WEBHOOKS: { schema: privateTargets, example: 'true' },
  /** Delays before each retry of a failed webhook delivery; jittered, then the dead-letter queue. */
  WEBHOOK_RETRY_SCHEDULE: { schema: durationList('5s,5m,30m,2h,5h,10h,24h', 86_400_000), example: '5s,5m,30m,2h' },
  /** One webhook delivery attempt (DNS, redirects and the answer's first bytes) gives up after this. */
  WEBHOOK_TIMEOUT_MS: { schema: count(10_000, 100, 60_000), example: '10000' },
  /** DNS-over-HTTPS resolver (JSON API) the SSRF guard resolves webhook hosts with. */
  WEBHOOK_DNS_RESOLVER: {
    schema: httpUrl('https://cloudflare-dns.com/dns-query'),
    example: 'https://dns.google/resolve',
  },
  /** The dashboard's origin, for links in notifications; empty leaves them out. */
  PUBLIC_URL: { schema: z.optional(httpUrlString), example: 'https://edgewatch.example.com' },
  /**
   * Alerts: a DeviceHub reloads its cached alert rules when they are this many seconds old, a
   * backstop for a change whose announcement did not reach it (rule, tag and site changes tell
   * the devices' objects at once). Hourly: each reload is a D1 round trip per device.
   */
  ALERT_RULES_TTL_SECONDS: { schema: count(3_600, 1, 86_400), example: '3600' },
  /** Usage counters for the capacity model (services/meter), served at /health/meter; off in production. */
  METER: { schema: z.prefault(z.enum(['true', 'false'], 'must be true or false'), 'false'), example: 'true' },
} as const;

type Name = keyof typeof SETTINGS;
export type Settings = { [K in Name]: z.infer<(typeof SETTINGS)[K]['schema']> } & { INGEST_BURST: number };

/** A `[vars]` value that cannot be used; the message names it and shows a good one. */
export class SettingsError extends Error {
  readonly setting: string;

  constructor(setting: string, value: unknown, problem: string) {
    super(
      `setting ${setting}=${JSON.stringify(value)} ${problem}; for example ${setting}="${SETTINGS[setting as Name]?.example ?? ''}"`,
    );
    this.name = 'SettingsError';
    this.setting = setting;
  }
}

/** Parses raw `[vars]` (strings, or absent for the default), naming the first bad one. */
export function parseSettings(raw: Partial<Record<string, unknown>>): Settings {
  const out: Record<string, unknown> = {};
  for (const [name, { schema }] of Object.entries(SETTINGS)) {
    const value = raw[name] === '' ? undefined : raw[name];
    const result = z.safeParse(schema as z.core.$ZodType, value);
    if (!result.success) throw new SettingsError(name, value, result.error.issues[0]?.message ?? 'is invalid');
    out[name] = result.data;
  }
  const settings = out as Settings;
  settings.INGEST_BURST ||= settings.INGEST_RATE_PER_MINUTE;
  return settings;
}

const cache = new WeakMap<object, Settings>();

/**
 * The Worker's settings from its bindings. Parsed on first use per isolate and kept; the app
 * reads them before any route runs, so a bad value fails the first request, naming it, rather
 * than surfacing later as a wrong default.
 */
export function settings(env: object): Settings {
  let parsed = cache.get(env);
  if (!parsed) {
    parsed = parseSettings(env as unknown as Record<string, unknown>);
    cache.set(env, parsed);
  }
  return parsed;
}
