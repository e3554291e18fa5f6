import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ROOT } from '../scripts/local/wrangler.ts';
import { measureUnits, type Measured, type MeasureOptions } from './capacity-measure.ts';
import {
  layoutFor,
  LIMITS,
  project,
  SCALES,
  unitsOf,
  type Layout,
  type PartLoad,
  type Units,
} from './capacity-model.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';

/**
 * `npm run bench -- capacity`: measures what a device and a viewer cost (capacity-measure.ts),
 * projects it to 1k/10k/100k devices and 100/1k/10k viewers (capacity-model.ts), prints the
 * headroom of every part, and rewrites the measured part of docs/capacity.md.
 */

const OPTIONS: MeasureOptions = {
  httpsDevices: 40,
  mqttDevices: 10,
  viewers: 20,
  series: 60,
  intervalMs: 10_000,
  configPollMs: 60_000,
  warmupMs: 30_000,
  windowMs: 120_000,
};

const DOC = join(ROOT, 'docs/capacity.md');
const BEGIN = '<!-- capacity:begin (written by `npm run bench -- capacity`; edit the prose outside) -->';
const END = '<!-- capacity:end -->';
const TODAY: Layout = { d1Databases: 1, publishShards: 1, relays: 1 };
/** A second run with the stream layout sharded, to measure what the relay hop costs. */
const SHARDED = { STREAM_PUBLISH_SHARDS: '3', STREAM_RELAYS: '2' };

const fmt = (n: number, digits = 2) =>
  Math.abs(n) >= 1000
    ? Math.round(n).toLocaleString('en-US')
    : Number(n.toPrecision(Math.max(1, digits + (Math.abs(n) >= 1 ? 1 : 0)))).toString();

const bytes = (n: number) => {
  for (const [unit, size] of [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (n >= size) return `${fmt(n / size)} ${unit}`;
  }
  return `${fmt(n)} B`;
};

const amount = (p: PartLoad, n: number) => (p.unit === 'B' ? bytes(n) : `${fmt(n)}${p.unit}`);
const pct = (share: number) => `${share >= 10 ? Math.round(share * 100).toLocaleString('en-US') : fmt(share * 100)} %`;
const shareOf = (p: PartLoad) => p.load / p.limit;

export function unitsTable(u: Units, m: Measured): string {
  const byPart = Object.entries(u.d1StatementsByPart)
    .map(([part, n]) => `${part} ${fmt(n)}`)
    .join(', ');
  const rows: [string, string][] = [
    ['batches per device-second', fmt(u.batchesPerDeviceSec, 3)],
    ['D1 statements per device-hour', `${fmt(u.d1StatementsPerDeviceHour)} (${byPart})`],
    ['D1 statements of the cron per hour (whole platform, 12 runs)', fmt(u.d1CronStatementsPerHour)],
    ['D1 rows written per device-hour', fmt(u.d1RowsWrittenPerDeviceHour)],
    ['DeviceHub calls per batch', fmt(u.deviceHubCallsPerBatch)],
    ['DeviceHub alarms per device-hour', fmt(u.deviceHubAlarmsPerDeviceHour)],
    ['ChannelHub calls per batch', fmt(u.channelHubCallsPerBatch)],
    ['shard → relay pushes per publish, per relay (3 shards, 2 relays)', fmt(u.relayPushesPerPublish)],
    ['workerd CPU per batch (whole process, idle floor removed)', `${fmt(u.cpuMsPerBatch)} ms`],
    ['the same with 3 shards and 2 relays', `${fmt(u.cpuMsPerBatchSharded ?? NaN)} ms`],
    ['frames per viewer-second (viewer follows the whole bench org)', fmt(u.framesPerViewerSec)],
    ['bytes per viewer-second', bytes(u.bytesPerViewerSec)],
    [
      "raw bytes stored per device-day (DeviceHub, at the storage bench's bytes per sample)",
      bytes(u.rawBytesPerDeviceDay),
    ],
    [
      "raw bytes per sample as this run's young objects report them (mostly unsealed head and fixed pages)",
      m.rawBytesPerSample === null ? 'not reported yet' : `${fmt(m.rawBytesPerSample)} B`,
    ],
    ['minute rollups per device-day (DeviceHub)', bytes(u.hubMinuteBytesPerDeviceDay)],
    ['hour and day rollups per device-day (DeviceHub)', bytes(u.hubHourDayBytesPerDeviceDay)],
    [
      "D1 bytes per device (device and series rows with their indexes, dbstat of this run's D1)",
      bytes(u.d1BytesPerDevice),
    ],
    ['alert queue messages per device-hour', fmt(u.queueMessagesPerDeviceHour)],
  ];
  const o = m.options;
  return [
    `Measured over ${fmt(m.windowSeconds)} s after a ${o.warmupMs / 1000} s warm-up: ${o.httpsDevices} devices over HTTPS and ${o.mqttDevices} over MQTT, each sending ${o.series} samples every ${o.intervalMs / 1000} s and polling its config every ${o.configPollMs / 1000} s, and ${o.viewers} stream viewers following the whole org; ${m.batches} batches acknowledged, ${m.configPolls} config polls answered (${m.configPolls304} of them 304), ${m.errors.length} errors.`,
    '',
    '| per unit | measured |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
}

export function projectionTable(u: Units, layoutOf: (i: number) => Layout): string {
  const head = `| part | limit | ${SCALES.map((s) => `${s.devices / 1000}k devices, ${s.viewers.toLocaleString('en-US')} viewers`).join(' | ')} |`;
  const parts = project(u, SCALES[0]!, TODAY);
  const lines = parts.map((p, k) => {
    const cells = SCALES.map((s, i) => {
      const q = project(u, s, layoutOf(i))[k]!;
      const mark = shareOf(q) < 0.5 ? '' : ' **over half**';
      return `${amount(q, q.load)} (${pct(shareOf(q))})${mark}`;
    });
    return `| ${p.part} | ${amount(p, p.limit)} | ${cells.join(' | ')} |`;
  });
  const layouts = SCALES.map((s, i) => {
    const l = layoutOf(i);
    return `${s.devices / 1000}k: ${l.d1Databases} D1 database(s), ${l.publishShards} publish shard(s), ${l.relays} relay(s) per org`;
  });
  return [
    head,
    `| --- | --- | ${SCALES.map(() => '---').join(' | ')} |`,
    ...lines,
    '',
    `Layout: ${layouts.join('; ')}.`,
  ].join('\n');
}

/** The unsharded run's units, with what the relay hop costs from the sharded run. */
export function combinedUnits(m: Measured, sharded: Measured): Units {
  const s = unitsOf(sharded);
  return { ...unitsOf(m), relayPushesPerPublish: s.relayPushesPerPublish, cpuMsPerBatchSharded: s.cpuMsPerBatch };
}

export function capacitySection(m: Measured, sharded: Measured, when: string): string {
  const u = combinedUnits(m, sharded);
  const formulas = project(u, SCALES[0]!, TODAY).map((p) => `- ${p.part}: ${p.formula}.`);
  return [
    BEGIN,
    `Run of ${when}, \`npm run bench -- capacity\`.`,
    '',
    unitsTable(u, m),
    '',
    `The sharded run (3 publish shards, 2 relays, the same load): ${sharded.batches} batches, ${sharded.errors.length} errors.`,
    '',
    '### As the code is deployed today (one D1, one ChannelHub per org)',
    '',
    projectionTable(u, () => TODAY),
    '',
    '### With the smallest stream layout that keeps each stream object under half its limit',
    '',
    projectionTable(u, (i) => layoutFor(u, SCALES[i]!)),
    '',
    'How each load is computed:',
    '',
    ...formulas,
    END,
  ].join('\n');
}

async function writeDoc(section: string): Promise<void> {
  const doc = await readFile(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} has no ${BEGIN} … ${END} section to rewrite`);
  const text = doc.slice(0, start) + section + doc.slice(end + END.length);
  // Formatted as `npm run check` wants it, so a rewritten doc can be committed as it is.
  await writeFile(DOC, await format(text, { ...(await resolveConfig(DOC)), filepath: DOC }));
}

export const capacityBench: BenchModule = {
  name: 'capacity',
  async run(ctx: BenchContext): Promise<Row[]> {
    ctx.log(
      `  ${OPTIONS.httpsDevices + OPTIONS.mqttDevices} devices, ${OPTIONS.viewers} viewers: ${OPTIONS.warmupMs / 1000} s warm-up, ${OPTIONS.windowMs / 1000} s measured`,
    );
    const m = await measureUnits(ctx, OPTIONS);
    for (const e of m.errors) ctx.log(`  error: ${e}`);
    ctx.log(`  again with ${SHARDED.STREAM_PUBLISH_SHARDS} publish shards and ${SHARDED.STREAM_RELAYS} relays`);
    const sharded = await measureUnits(ctx, { ...OPTIONS, vars: SHARDED });
    for (const e of sharded.errors) ctx.log(`  error (sharded): ${e}`);
    const u = combinedUnits(m, sharded);
    await writeDoc(capacitySection(m, sharded, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'));
    ctx.log(`  wrote ${DOC}`);
    const top = SCALES.at(-1)!;
    const rows: Row[] = project(u, top, TODAY).map((p) => ({
      benchmark: 'capacity',
      system: 'Edgewatch',
      notes: `${p.part} at ${top.devices / 1000}k devices/${top.viewers / 1000}k viewers, one hub and D1: ${amount(p, p.load)} of ${amount(p, p.limit)} (${pct(shareOf(p))})`,
      extra: { part: p.part, load: p.load, limit: p.limit },
    }));
    rows.push({
      benchmark: 'capacity',
      system: 'Edgewatch',
      notes: `per device-hour: ${fmt(u.d1StatementsPerDeviceHour)} D1 statements; ${fmt(u.cpuMsPerBatch)} ms workerd CPU a batch; ${m.errors.length + sharded.errors.length} errors`,
      extra: { units: u, measured: m, sharded, limits: LIMITS },
    });
    return rows;
  },
};
