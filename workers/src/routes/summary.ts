import { Hono } from 'hono';
import { z } from 'zod';
import type { DeviceStatus } from '../../../schema/wire/telemetry.ts';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { deviceStatus } from '../services/devices/status.ts';
import { orgCounts } from '../services/devices/summary.ts';
import { HOUR_MS } from '../time.ts';
import { incidentCounts } from '../services/incidents/counts.ts';
import { settings } from '../settings.ts';

/** `GET /v1/summary` takes no parameters. */
export const summaryQuery = z.strictObject({});

/** `GET /v1/summary`: the organisation at a glance, from D1 only (no Durable Object is woken). */
export const summaryRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getSummary',
    summary: 'Device status counts, series, samples in the last hour and storage used',
    description:
      "Status as in `GET /v1/devices` (online within ONLINE_WINDOW_SECONDS, stale within ten times that, else offline). `samplesLastHour` sums the hour rollups overlapping the last hour (so it counts from the start of the clock hour an hour ago: up to two hours of samples). It, `rollupRows` and `rawBytes` and `rawSamples` are what the devices' Durable Objects last reported: at most every 15 minutes while they change, and at once when a device comes online or goes offline. `incidents` counts open incidents: firing, pending, firing and not acknowledged, and firing at critical severity.",
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'org.read',
    query: summaryQuery,
    example: { query: {} },
    responses: {
      200: {
        description: 'The summary',
        example: {
          devices: { total: 12, online: 10, stale: 1, offline: 1 },
          series: 318,
          samplesLastHour: 228_960,
          storage: {
            rawBytes: 48_365_568,
            rawSamples: 1_203_344,
            rollupRows: { '1m': 1_534_080, '1h': 25_568, '1d': 1_272 },
          },
          incidents: { firing: 3, pending: 1, unacknowledged: 2, critical: 1 },
        },
      },
    },
  }),
  async (c) => {
    const { orgId } = c.var.caller;
    const now = Date.now();
    const [counts, incidents] = await Promise.all([
      orgCounts(c.env.DB, orgId, now - HOUR_MS),
      incidentCounts(c.env.DB, orgId),
    ]);
    const rows = counts.devices;
    const status: Record<DeviceStatus, number> = { online: 0, stale: 0, offline: 0 };
    const windowSeconds = settings(c.env).ONLINE_WINDOW_SECONDS;
    for (const r of rows) status[deviceStatus(r, now, windowSeconds)]++;
    return c.json({
      devices: { total: rows.length, ...status },
      series: counts.series,
      samplesLastHour: counts.samplesSince,
      storage: {
        rawBytes: rows.reduce((s, r) => s + r.rawBytes, 0),
        rawSamples: rows.reduce((s, r) => s + r.rawSamples, 0),
        rollupRows: counts.rollupRows,
      },
      incidents,
    });
  },
);
