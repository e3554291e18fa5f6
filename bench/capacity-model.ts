import type { Measured } from './capacity-measure.ts';
import { DEVICE_REPORT_INTERVAL_MS } from '../workers/src/time.ts';

/**
 * The capacity model: per-unit costs from one measured run, projected to a fleet against
 * Cloudflare's published limits. Pure arithmetic, so docs/capacity.md can show every formula.
 */

/** Cloudflare's limits the design has to stay inside (docs/capacity.md cites each). */
export const LIMITS = {
  d1QueriesPerSec: 1_000,
  d1Bytes: 10e9,
  doRequestsPerSec: 1_000,
  /** Frames sent on open WebSockets go about 3× as far as requests. */
  doFramesPerSec: 3_000,
  doBytes: 10e9,
  doSockets: 32_768,
  queueMessagesPerSec: 5_000,
  subrequestsPerInvocation: 1_000,
} as const;

/** Retention the storage figures assume (the defaults of PATCH /v1/org/settings). */
const RETENTION_DAYS = { raw: 30, minutes: 90, hours: 730, days: 730 };
/**
 * Raw bytes per sample once a device's head is sealed into blocks (`npm run bench -- storage`,
 * 20 devices × 10 series × 12 h at 10 s; docs/performance.md). A run of a few minutes cannot
 * measure it: its objects hold mostly unsealed head rows and the fixed pages of every table.
 */
const RAW_BYTES_PER_SAMPLE = 2.94;
/** Bytes of one hour of minutes in a DeviceHub (compressed column block; docs/architecture.md). */
const HUB_MINUTE_HOUR_BYTES = 688;
/**
 * Bytes of one day of hours of one series in a DeviceHub (`hour_days` row), and of one day in a
 * 128-day `day_spans` row: the codec's block for a 10 s random-walk series (311 B and 1,537 B)
 * plus the 80 B per row that minute rows measure over their block (688 B for 609 B).
 */
const HUB_HOUR_DAY_BYTES = 390;
const HUB_DAY_BYTES = (1_537 + 80) / 128;
/**
 * D1 statements per device-hour that a short window does not see: the device row's figures
 * (every DEVICE_REPORT_INTERVAL_MS while they change), the hourly read of the org's retention,
 * the alert rules' backstop reload (one batch of two statements every
 * ALERT_RULES_TTL_SECONDS, an hour by default), and the config answer the hub keeps for polls,
 * built again once it is AGENT_CONFIG_CACHE_MS old (a batch of two statements for the config
 * layers and the device's kind, one for its host notices; a gateway's controllers add more).
 */
const SCHEDULED_D1_PER_DEVICE_HOUR = 3_600_000 / DEVICE_REPORT_INTERVAL_MS + 1 + 2 + 3;
/** The production cron cadence: every 5 minutes. */
const CRON_RUNS_PER_HOUR = 12;

export interface Units {
  devices: number;
  series: number;
  batchesPerDeviceSec: number;
  /** Per device-hour, the cron's excluded. */
  d1StatementsPerDeviceHour: number;
  /**
   * The cron's statements per hour, for the whole platform: a run sweeps audit rows and asks
   * devices over their minute retention to sweep, each a bounded statement or two, whatever the
   * number of devices (it no longer rolls up or sweeps rollups in D1).
   */
  d1CronStatementsPerHour: number;
  d1RowsWrittenPerDeviceHour: number;
  d1StatementsByPart: Record<string, number>;
  deviceHubCallsPerBatch: number;
  deviceHubAlarmsPerDeviceHour: number;
  channelHubCallsPerBatch: number;
  /** Shard → relay pushes per publish, per relay (sharded runs; 0 when unsharded). */
  relayPushesPerPublish: number;
  cpuMsPerBatch: number;
  /** The same with the sharded layout (combined from a second run). */
  cpuMsPerBatchSharded?: number;
  framesPerViewerSec: number;
  bytesPerViewerSec: number;
  rawBytesPerDeviceDay: number;
  hubMinuteBytesPerDeviceDay: number;
  /** Hours and days held in the DeviceHub, per day of data. */
  hubHourDayBytesPerDeviceDay: number;
  /** D1's relational rows of one device (its device row and series rows, with their indexes): no time in it. */
  d1BytesPerDevice: number;
  queueMessagesPerDeviceHour: number;
}

const sumMatching = (c: Record<string, number>, re: RegExp) =>
  Object.entries(c).reduce((n, [k, v]) => (re.test(k) ? n + v : n), 0);

/** Per device, per batch and per viewer, from one run's counters. */
export function unitsOf(m: Measured): Units {
  const devices = m.options.httpsDevices + m.options.mqttDevices;
  const hours = m.windowSeconds / 3600;
  const perDeviceHour = (n: number) => n / devices / hours;
  const c = m.counters;
  // The cron ran once in the window; in production it runs 12 times an hour whatever the window.
  const cronStatements = (sumMatching(c, /^d1\.statements\.cron$/) / m.cronRuns) * CRON_RUNS_PER_HOUR;
  const byPart: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) {
    const part = /^d1\.statements\.(.+)$/.exec(k)?.[1];
    if (part && part !== 'cron') byPart[part] = perDeviceHour(v);
  }
  byPart['DeviceHub, scheduled'] = SCHEDULED_D1_PER_DEVICE_HOUR;
  const samplesPerDay = (m.options.series * 86_400_000) / m.options.intervalMs;
  return {
    devices,
    series: m.options.series,
    batchesPerDeviceSec: m.batches / devices / m.windowSeconds,
    d1StatementsPerDeviceHour: Object.values(byPart).reduce((a, b) => a + b, 0),
    d1RowsWrittenPerDeviceHour: perDeviceHour(sumMatching(c, /^d1\.rowsWritten\./)),
    d1StatementsByPart: byPart,
    d1CronStatementsPerHour: cronStatements,
    deviceHubCallsPerBatch: sumMatching(c, /^do\.calls\.DeviceHub\./) / m.batches,
    deviceHubAlarmsPerDeviceHour: perDeviceHour(sumMatching(c, /^do\.alarms\.DeviceHub$/)),
    // Calls from DeviceHubs and the Worker: a shard's pushes to its relays are counted apart.
    channelHubCallsPerBatch: sumMatching(c, /^do\.calls\.ChannelHub\.publish\.DeviceHub$/) / m.batches,
    relayPushesPerPublish:
      sumMatching(c, /^do\.calls\.ChannelHub\.deliver\./) /
      Math.max(1, sumMatching(c, /^do\.calls\.ChannelHub\.publish\.DeviceHub$/)) /
      Number(m.options.vars?.STREAM_RELAYS ?? 1),
    cpuMsPerBatch: (m.cpuSeconds * 1000) / m.batches,
    framesPerViewerSec: m.viewerFrames / m.options.viewers / m.windowSeconds,
    bytesPerViewerSec: m.viewerBytes / m.options.viewers / m.windowSeconds,
    rawBytesPerDeviceDay: RAW_BYTES_PER_SAMPLE * samplesPerDay,
    hubMinuteBytesPerDeviceDay: m.options.series * 24 * HUB_MINUTE_HOUR_BYTES,
    hubHourDayBytesPerDeviceDay: m.options.series * (HUB_HOUR_DAY_BYTES + HUB_DAY_BYTES),
    d1BytesPerDevice: m.d1BytesPerDevice,
    queueMessagesPerDeviceHour: perDeviceHour(sumMatching(c, /^queue\.sent\./)),
  };
}

export interface Scale {
  devices: number;
  viewers: number;
}

export const SCALES: Scale[] = [
  { devices: 1_000, viewers: 100 },
  { devices: 10_000, viewers: 1_000 },
  { devices: 100_000, viewers: 10_000 },
];

/** How the platform is laid out: D1 databases, publish shards and relays per org. */
export interface Layout {
  d1Databases: number;
  publishShards: number;
  relays: number;
}

export interface PartLoad {
  part: string;
  /** What is compared with the limit, in the limit's unit. */
  load: number;
  limit: number;
  unit: string;
  /** How the load is computed, for the doc. */
  formula: string;
}

/** The largest org: "a few orgs of 10,000+ devices among many small ones". */
export const largestOrg = (s: Scale) => Math.min(s.devices, 10_000);

/** Every part's load at one scale and layout; viewers all watch the largest org (the worst case). */
export function project(u: Units, s: Scale, l: Layout): PartLoad[] {
  const org = largestOrg(s);
  const publishesPerSec = org * u.batchesPerDeviceSec * u.channelHubCallsPerBatch;
  const viewersPerRelay = Math.ceil(s.viewers / l.relays);
  // A relay takes at most one coalesced frame per STREAM_FLUSH_MS (20 ms) from each shard.
  const relayInbound =
    l.relays > 1 || l.publishShards > 1
      ? Math.min(publishesPerSec * Math.max(u.relayPushesPerPublish, 1), l.publishShards * 50)
      : 0;
  const rawDays = RETENTION_DAYS.raw;
  return [
    {
      part: 'D1 statements/s, per database',
      load: (s.devices * u.d1StatementsPerDeviceHour + u.d1CronStatementsPerHour) / 3600 / l.d1Databases,
      limit: LIMITS.d1QueriesPerSec,
      unit: '/s',
      formula: '(devices × D1 statements per device-hour + cron statements per hour) ÷ 3600 ÷ databases',
    },
    {
      part: 'D1 storage, per database',
      load: (s.devices * u.d1BytesPerDevice) / l.d1Databases,
      limit: LIMITS.d1Bytes,
      unit: 'B',
      formula: 'devices × D1 bytes per device (device and series rows; rollups are in the DeviceHubs) ÷ databases',
    },
    {
      part: 'DeviceHub requests/s, per object',
      load: u.batchesPerDeviceSec * u.deviceHubCallsPerBatch + u.deviceHubAlarmsPerDeviceHour / 3600,
      limit: LIMITS.doRequestsPerSec,
      unit: '/s',
      formula: 'batches/s × calls per batch + alarms/s (one device: independent of the fleet)',
    },
    {
      part: 'DeviceHub storage, per object',
      load:
        u.rawBytesPerDeviceDay * rawDays +
        u.hubMinuteBytesPerDeviceDay * RETENTION_DAYS.minutes +
        u.hubHourDayBytesPerDeviceDay * RETENTION_DAYS.hours,
      limit: LIMITS.doBytes,
      unit: 'B',
      formula: `raw bytes/day × ${rawDays} + minute bytes/day × ${RETENTION_DAYS.minutes} + hour and day bytes/day × ${RETENTION_DAYS.hours}`,
    },
    {
      part: 'MqttSession requests/s, per object',
      load: u.batchesPerDeviceSec,
      limit: LIMITS.doRequestsPerSec,
      unit: '/s',
      formula: 'one PUBLISH per batch (one object per connection)',
    },
    {
      part: 'ChannelHub publishes/s, per publish shard',
      load: publishesPerSec / l.publishShards,
      limit: LIMITS.doRequestsPerSec,
      unit: '/s',
      formula: 'largest org × batches/s × publish calls per batch ÷ shards',
    },
    {
      part: 'Viewer frames/s, per viewer-serving object',
      load: viewersPerRelay * u.framesPerViewerSec,
      limit: LIMITS.doFramesPerSec,
      unit: '/s',
      formula: 'viewers ÷ relays × frames per viewer-second',
    },
    {
      part: 'Viewer sockets, per viewer-serving object',
      load: viewersPerRelay,
      limit: LIMITS.doSockets,
      unit: '',
      formula: 'viewers ÷ relays',
    },
    {
      part: 'Relay pushes in/s, per relay',
      load: relayInbound,
      limit: LIMITS.doRequestsPerSec,
      unit: '/s',
      formula:
        'min(publishes/s × measured pushes per publish per relay (at least 1), shards × 50 coalesced frames/s); 0 without relays',
    },
    {
      part: 'Shard pushes per frame (subrequests)',
      load: l.relays > 1 || l.publishShards > 1 ? l.relays : 0,
      limit: LIMITS.subrequestsPerInvocation,
      unit: '',
      formula: 'relays (one RPC to each relay per frame)',
    },
    {
      part: 'Alert queue messages/s',
      load: (s.devices * u.queueMessagesPerDeviceHour) / 3600,
      limit: LIMITS.queueMessagesPerSec,
      unit: '/s',
      formula: 'devices × queue messages per device-hour ÷ 3600',
    },
  ];
}

/**
 * The smallest stream layout (publish shards, relays; up to the settings' bound) that keeps the
 * stream objects under `share` of their limits. D1 stays one database: the code has no way to
 * split it, and what it is over on is answered by design, not by more databases (docs/capacity.md).
 */
export function layoutFor(u: Units, s: Scale, share = 0.5, max = 64): Layout {
  const layout: Layout = { d1Databases: 1, publishShards: 1, relays: 1 };
  const over = (part: string) => {
    const p = project(u, s, layout).find((x) => x.part.startsWith(part))!;
    return p.load / p.limit >= share;
  };
  while (over('ChannelHub publishes') && layout.publishShards < max) layout.publishShards++;
  while ((over('Viewer frames') || over('Viewer sockets')) && layout.relays < max) layout.relays++;
  return layout;
}
