// zod/mini, so the agent bundle stays small; the Worker validates with the same schemas.
import * as z from 'zod/mini';
import { gatewayConfig } from './gateway.ts';
import { noticeOutputs } from './notices.ts';

/** Every collector an agent can run; intervals and `disabled` name them. */
export const COLLECTOR_NAMES = [
  'cpu',
  'load',
  'memory',
  'disk',
  'diskio',
  'network',
  'temperature',
  'uptime',
  'ntp',
  'probes',
  'processes',
  'self',
] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/** Default seconds between runs: cheap reads often, expensive ones rarely. */
export const DEFAULT_INTERVALS: Record<CollectorName, number> = {
  cpu: 10,
  load: 10,
  memory: 10,
  disk: 60,
  diskio: 10,
  network: 10,
  temperature: 30,
  uptime: 60,
  ntp: 300,
  probes: 30,
  processes: 10,
  self: 10,
};

const seconds = z.int().check(z.gte(1), z.lte(86_400));
const timeoutMs = z.int().check(z.gte(100), z.lte(60_000));
/** Probe and process names become label values; keep them short and printable. */
const shortName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$/));

export const httpProbe = z.strictObject({
  type: z.literal('http'),
  name: shortName,
  url: z.string().check(z.regex(/^https?:\/\/[^\s]+$/), z.maxLength(2048)),
  timeoutMs: z.optional(timeoutMs),
});
export const tcpProbe = z.strictObject({
  type: z.literal('tcp'),
  name: shortName,
  host: z.string().check(z.minLength(1), z.maxLength(253)),
  port: z.int().check(z.gte(1), z.lte(65_535)),
  timeoutMs: z.optional(timeoutMs),
});
export const probe = z.discriminatedUnion('type', [httpProbe, tcpProbe]);
export type Probe = z.infer<typeof probe>;

/** A watched process group: processes whose command line contains `match` (or matches `/regex/`). */
export const processWatch = z.strictObject({
  name: shortName,
  match: z.string().check(z.minLength(1), z.maxLength(200)),
});
export type ProcessWatch = z.infer<typeof processWatch>;

/**
 * Names become label values: two entries of one name would report one series twice at one
 * timestamp, and the Worker refuses such an ingest batch whole (`duplicate_sample`).
 */
function uniqueNames<T extends { name: string }>(list: z.ZodMiniType<T[]>) {
  return list.check(
    z.superRefine((items, ctx) => {
      const seen = new Set<string>();
      for (const [i, item] of items.entries()) {
        if (seen.has(item.name)) {
          ctx.issues.push({
            code: 'custom',
            message: `name "${item.name}" is used twice`,
            input: item,
            path: [i, 'name'],
          });
        }
        seen.add(item.name);
      }
    }),
  );
}

/** The sections an admin sets (for the org, or one device). */
const settableSections = {
  intervals: z.partialRecord(z.enum(COLLECTOR_NAMES), seconds),
  disabled: z.array(z.enum(COLLECTOR_NAMES)).check(z.maxLength(COLLECTOR_NAMES.length)),
  probes: uniqueNames(z.array(probe).check(z.maxLength(50))),
  processes: uniqueNames(z.array(processWatch).check(z.maxLength(50))),
  ntp: z.strictObject({
    server: z.string().check(z.minLength(1), z.maxLength(253)),
    port: z.int().check(z.gte(1), z.lte(65_535)),
  }),
  /** Where host notices go besides the agent's log; absent means the log only (schema/wire/notices.ts). */
  notices: noticeOutputs,
};

export const remoteAgentConfig = z.strictObject({
  ...settableSections,
  // Optional and not in the defaults: an agent from before it refuses a config that has it.
  notices: z.optional(noticeOutputs),
  /**
   * Only for gateway devices: the controllers, trend logs and discovery settings the platform
   * computes from its sites, controllers and trend logs (schema/wire/gateway.ts). Never set by hand.
   */
  gateway: z.optional(gatewayConfig),
});
/** What `GET /v1/agents/config` returns: every field present, defaults filled in. */
export type RemoteAgentConfig = z.infer<typeof remoteAgentConfig>;

/** What an admin PUTs: any subset of sections; a section given replaces the inherited one. */
export const remoteAgentConfigPatch = z.partial(z.strictObject(settableSections));
export type RemoteAgentConfigPatch = z.infer<typeof remoteAgentConfigPatch>;

export const DEFAULT_AGENT_CONFIG: RemoteAgentConfig = {
  intervals: {},
  disabled: [],
  probes: [],
  processes: [],
  ntp: { server: 'pool.ntp.org', port: 123 },
};

/** The default, then the org's sections, then the device's: each given section replaces. */
export function mergeAgentConfig(...layers: (RemoteAgentConfigPatch | undefined)[]): RemoteAgentConfig {
  return Object.assign({}, DEFAULT_AGENT_CONFIG, ...layers.filter(Boolean)) as RemoteAgentConfig;
}
