/**
 * InfluxDB's half of the ingest benchmark: exactly the batches Edgewatch acknowledged (the same
 * warm-up and measured counts per sender, 4 concurrent senders, 1,000 samples per request), as
 * line protocol through `/write`, into a fresh influxd per variant.
 */
import {
  influxVersion,
  influxWaitQueryable,
  influxWrite,
  runInfluxPeer,
  startInflux,
  toLineProtocol,
} from './influxdb.ts';
import { rate, warmThenMeasure, type Run } from './ingest.ts';
import { percentile, type SendFn } from './load.ts';
import { SAMPLES_PER_BATCH, makeBatch } from './series.ts';
import type { BenchContext, Row } from './types.ts';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface InfluxIngest {
  /** The peer's rows per variant (a single skip or failure row goes with the first). */
  rows: Row[][];
  /** Samples/s acknowledged (204: in the fsynced WAL and the queryable cache), per variant. */
  ack: number[];
  queryable: number[];
}

/** `variants[v]` is Edgewatch's variant `v`: its name, and whether the body is gzipped. */
export async function influxIngest(
  ctx: BenchContext,
  base: number,
  variants: ReadonlyArray<{ name: string; gz: boolean }>,
  ew: Run[],
): Promise<InfluxIngest> {
  const out: InfluxIngest = { rows: [], ack: [], queryable: [] };
  const system = `InfluxDB ${influxVersion() ?? ''}`.trim();
  const result = await runInfluxPeer(ctx, async (bin) => {
    for (const [v, variant] of variants.entries()) {
      const influx = await startInflux(ctx, bin);
      const send: SendFn = (s, i) =>
        influxWrite(influx.url, toLineProtocol(makeBatch(base, v, s, i), `bench-${s}`), variant.gz);
      const run = await warmThenMeasure(ctx, `InfluxDB ${variant.name}`, send, ew[v]);
      const total = (run.warm.batches + run.measured.batches) * SAMPLES_PER_BATCH;
      const waitMs = await influxWaitQueryable(influx.url, '^bench-', total);
      await influx.stop();
      const measured = run.measured.batches * SAMPLES_PER_BATCH;
      const qRate = measured / (run.measured.seconds + waitMs / 1000);
      ctx.log(`    InfluxDB ${variant.name}: all ${total} samples counted ${waitMs.toFixed(0)} ms after the last ack`);
      out.ack.push(rate(run.measured));
      out.queryable.push(qRate);
      const body = variant.gz ? 'line protocol, gzip' : 'line protocol';
      out.rows.push([
        {
          benchmark: 'ingest',
          system: `${system} (${variant.name}, ack)`,
          samplesPerSec: rate(run.measured),
          p50Ms: round(percentile(run.measured.latenciesMs, 50)),
          p99Ms: round(percentile(run.measured.latenciesMs, 99)),
          notes: `same ${run.measured.batches} batches via /write (${body}); ack = WAL fsynced`,
          extra: {
            variant: variant.name,
            kind: 'ack',
            batches: run.measured.batches,
            seconds: round(run.measured.seconds, 2),
          },
        },
        {
          benchmark: 'ingest',
          system: `${system} (${variant.name}, queryable)`,
          samplesPerSec: qRate,
          notes: `ack time + until count(value) sees all ${total} samples: +${waitMs.toFixed(0)} ms`,
          extra: { variant: variant.name, kind: 'queryable', waitMs: round(waitMs) },
        },
      ]);
    }
  });
  // A skip goes with the first variant; a failure with the variant it cut short.
  if (typeof result === 'string') out.rows.push([{ benchmark: 'ingest', system: 'InfluxDB', notes: result }]);
  return out;
}
