import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { errorBody } from '../errors.ts';
import { notFound } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { firstMissingDevice } from '../services/devices/summary.ts';
import { EXAMPLE_DEVICE, EXAMPLE_DEVICE_2, EXAMPLE_SERIES } from '../services/history/examples.ts';
import { metricFilter } from '../services/history/query.ts';
import { idList } from '../services/http/query-schemas.ts';

/** `GET /v1/latest`. */
export const latestQuery = z.strictObject({
  devices: idList('device', 100),
  metric: metricFilter.optional(),
});

/** `GET /v1/latest`: the latest values of up to 100 devices, from their DeviceHubs in parallel. */
export const latestRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getLatest',
    summary: 'Latest value of every series of up to 100 devices',
    description:
      "`metric` filters by exact name or by a prefix ending in `*`. A device id not in the caller's organisation is a 404 naming it.",
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'org.read',
    query: latestQuery,
    example: { query: { devices: `${EXAMPLE_DEVICE},${EXAMPLE_DEVICE_2}`, metric: 'cpu_*' } },
    responses: {
      200: {
        description: 'Latest values per device, in the order asked',
        example: {
          devices: [
            {
              deviceId: EXAMPLE_DEVICE,
              values: [
                {
                  seriesId: EXAMPLE_SERIES,
                  metric: 'cpu_usage_percent',
                  labels: {},
                  ts: 1_795_305_600_000,
                  value: 12.5,
                },
              ],
            },
            { deviceId: EXAMPLE_DEVICE_2, values: [] },
          ],
        },
      },
      400: {
        description: 'A bad parameter, named in `field`',
        example: errorBody('invalid_input', 'devices: at most 100 device ids per request', 'devices'),
      },
      404: {
        description: "A device id not in the caller's organisation",
        example: notFound(`device "${EXAMPLE_DEVICE_2}"`).body(),
      },
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const missing = await firstMissingDevice(c.env.DB, c.var.caller.orgId, q.devices);
    if (missing !== undefined) throw notFound(`device "${missing}"`);
    const { metric } = q;
    const wanted = (name: string) =>
      metric === undefined || (metric.prefix ? name.startsWith(metric.name) : name === metric.name);
    const devices = await Promise.all(
      q.devices.map(async (deviceId) => ({
        deviceId,
        values: (await deviceHubFor(c.env, deviceId).latest()).filter((v) => wanted(v.metric)),
      })),
    );
    return c.json({ devices });
  },
);
