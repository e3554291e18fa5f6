import { and, asc, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { db, schema } from '../db.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { idString } from '../services/http/query-schemas.ts';
import { mapLimit } from '../services/map-limit.ts';
import { exposition } from '../services/prometheus.ts';
import { orgDevice } from './devices.ts';

/** DeviceHubs asked at once while gathering latest values. */
const FAN_OUT = 16;

/**
 * Devices one scrape may ask. Each is a call to its DeviceHub, a subrequest, and a Worker
 * invocation may make 1,000 (Workers Paid): half of that keeps the scrape well inside it,
 * where a larger org would fail halfway. Larger fleets are scraped per site.
 */
export const SCRAPE_MAX_DEVICES = 500;

/** A scrape that would ask more devices than one invocation should: name `site` and the fix. */
export const tooManyDevices = (matched: string) =>
  new ApiError(
    422,
    'too_many_devices',
    `${matched} more than ${SCRAPE_MAX_DEVICES} devices, and one scrape asks at most ${SCRAPE_MAX_DEVICES}; scrape per site, e.g. GET /v1/metrics?site=site_p4n7d2k9s1m6x3q8v0c5r2w7, with one Prometheus target per site`,
    { field: 'site' },
  );

/** Query of `GET /v1/metrics`. */
export const metricsQuery = z.strictObject({
  device: idString('device').optional(),
  site: idString('site').optional(),
});

/** `GET /v1/metrics`: latest values of the org's devices for a Prometheus scrape. */
export const metricsRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getPrometheusMetrics',
    summary: 'Latest values in the Prometheus text format',
    description:
      'Scrape it with `authorization: { credentials: <API key> }` in the Prometheus job. Every series of every device that is not revoked is one sample, `edgewatch_<metric>`, labelled with `device_id`, `device` (its name), `site_id` when set, and the series labels. Families have `# HELP`; a `_total` metric is a `counter`, others are gauges (`untyped` for names ending `_count`, `_sum`, `_bucket`). Names are mapped to Prometheus conventions so `promtool check metrics` passes: abbreviated or non-base units are spelled out in base units with the value converted (`_ms` → `_seconds` ÷1000, `_days` → `_seconds` ×86400), camelCase becomes snake_case. Samples carry no timestamp: Prometheus stamps the scrape, and an old timestamp would make it drop the series. A scrape asks the Durable Object of every device, so one scrape takes at most 500 devices (a larger org or site is a 422 `too_many_devices`): scrape a large fleet per `site`, one Prometheus target per site.',
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'org.read',
    query: metricsQuery,
    example: { query: {} },
    responses: {
      200: {
        description: 'Prometheus exposition, format 0.0.4',
        contentType: 'text/plain; version=0.0.4',
        example:
          '# HELP edgewatch_cpu_usage_percent Latest value of the Edgewatch metric cpu_usage_percent, as last reported by each device.\n# TYPE edgewatch_cpu_usage_percent gauge\nedgewatch_cpu_usage_percent{device_id="dev_k3v9q2m8x1c7r4t6w0z5y8b2",device="web-1",site_id="site_p4n7d2k9s1m6x3q8v0c5r2w7"} 12.5\n',
      },
      400: { description: 'A bad query parameter, named in `field`' },
      404: { description: 'A `device` that is not in your organisation' },
      422: {
        description: `\`too_many_devices\`: the scrape would ask more than ${SCRAPE_MAX_DEVICES} devices (each is a call to its Durable Object, and one request may make 1,000); \`field\` is \`site\`. Scrape per site.`,
        example: tooManyDevices('the org has').body(),
      },
    },
  }),
  async (c) => {
    const { device, site } = c.req.valid('query');
    const { orgId } = c.var.caller;
    if (device !== undefined) await orgDevice(c.env, orgId, device);
    const d = schema.devices;
    const devices = await db(c.env.DB)
      .select({ id: d.id, name: d.name, siteId: d.siteId })
      .from(d)
      .where(
        and(
          eq(d.orgId, orgId),
          isNull(d.revokedAt),
          device === undefined ? undefined : eq(d.id, device),
          site === undefined ? undefined : eq(d.siteId, site),
        ),
      )
      .orderBy(asc(d.name), asc(d.id))
      .limit(SCRAPE_MAX_DEVICES + 1)
      .all();
    if (devices.length > SCRAPE_MAX_DEVICES) throw tooManyDevices(site === undefined ? 'the org has' : 'the site has');
    const exposed = await mapLimit(devices, FAN_OUT, async (dev) => ({
      ...dev,
      values: await deviceHubFor(c.env, dev.id).latest(),
    }));
    return c.body(exposition(exposed), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      // Latest values: a scrape must never be answered from a cache.
      'cache-control': 'no-store',
    });
  },
);
