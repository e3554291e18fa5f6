import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { LocalPlatform } from './local-platform.ts';
import { adminCall, ingest, type Sample } from './seed-fleet.ts';

/**
 * A building site seeded through the public API, as an integrator and a gateway would: the site,
 * controllers entered by hand, a gateway enrolled with the site's gateway enrollment token, and
 * the gateway's samples through `POST /v1/ingest` with its device token.
 */

type Platform = Pick<LocalPlatform, 'url' | 'seed'>;

/** Creates a site with the seed's admin key; returns its id. */
export async function createSite(
  platform: Platform,
  body: { name: string; address?: string; timeZone?: string },
): Promise<string> {
  return (await adminCall<{ id: string }>(platform as LocalPlatform, 'POST', '/v1/sites', body)).id;
}

/** Adds a controller by hand (`POST /v1/sites/:id/controllers`); returns its id. */
export async function addController(
  platform: Platform,
  siteId: string,
  body: { serial: number; ip: string; label?: string; port?: number; modbusId?: number; gatewayDeviceId?: string },
): Promise<string> {
  const path = `/v1/sites/${encodeURIComponent(siteId)}/controllers`;
  return (await adminCall<{ id: string }>(platform as LocalPlatform, 'POST', path, body)).id;
}

/** Makes a gateway enrollment token of the site and enrolls a device with it, as `edgewatch-agent enroll` does. */
export async function enrollGateway(platform: Platform, siteId: string, name: string): Promise<EnrollResponse> {
  const { token } = await adminCall<{ token: string }>(platform as LocalPlatform, 'POST', '/v1/enrollment-tokens', {
    kind: 'gateway',
    siteId,
  });
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name, agentVersion: '0.1.0' }),
  });
  if (res.status !== 201) throw new Error(`enroll gateway ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as EnrollResponse;
}

/** One T3 point as a gateway reads it: the value, and (when given) its flags. */
export interface PointReading {
  /** The controller's `controller` label: its serial number. */
  controller: number;
  point: string;
  value: number;
  ts: number;
  range?: number;
  manual?: boolean;
  digital?: boolean;
}

/** The samples a gateway ships for some point readings (docs/gateway.md, "Samples"). */
export function pointSamples(readings: readonly PointReading[]): Sample[] {
  return readings.flatMap((r) => {
    const labels = { controller: String(r.controller), point: r.point, type: /^(IN|OUT|VAR)/.exec(r.point)![1]! };
    const samples: Sample[] = [{ metric: 't3_point_value', ts: r.ts, value: r.value, labels }];
    if (r.range !== undefined) samples.push({ metric: 't3_point_range', ts: r.ts, value: r.range, labels });
    if (r.manual !== undefined) samples.push({ metric: 't3_point_manual', ts: r.ts, value: r.manual ? 1 : 0, labels });
    if (r.digital !== undefined)
      samples.push({ metric: 't3_point_digital', ts: r.ts, value: r.digital ? 1 : 0, labels });
    return samples;
  });
}

/** The gateway's health samples of a controller: `up` 1 with its last success now, or 0. */
export function healthSamples(controller: number, up: boolean, ts: number): Sample[] {
  const labels = { controller: String(controller) };
  return [
    { metric: 'gateway_controller_up', ts, value: up ? 1 : 0, labels },
    ...(up ? [{ metric: 'gateway_controller_last_success_timestamp_seconds', ts, value: ts / 1000, labels }] : []),
  ];
}

/** Ingests point readings (and any extra samples) as the gateway, in batches of at most 5,000 samples. */
export async function ingestPoints(
  platform: Platform,
  deviceToken: string,
  batchId: string,
  readings: readonly PointReading[],
  extra: readonly Sample[] = [],
): Promise<void> {
  const samples = [...pointSamples(readings), ...extra];
  for (let i = 0, n = 0; i < samples.length; i += 5000, n++) {
    await ingest(platform as LocalPlatform, deviceToken, `${batchId}-${n}`, samples.slice(i, i + 5000));
  }
}

/** What {@link seedSite} made. */
export interface SeededSite {
  siteId: string;
  gateway: EnrollResponse;
  controllerIds: string[];
  trendLogId: string;
}

/**
 * A small building for the page-wide checks and the screenshots: a site with a gateway, an
 * online AHU and an offline boiler, a few points of each type with their flags, and a trend log.
 */
export async function seedSite(platform: Platform, now = Date.now()): Promise<SeededSite> {
  const siteId = await createSite(platform, {
    name: 'Main building',
    address: 'Bahnhofstrasse 1, 8001 Zürich',
    timeZone: 'Europe/Zurich',
  });
  const gateway = await enrollGateway(platform, siteId, 'gw-basement');
  const gatewayDeviceId = gateway.deviceId;
  const ahu = await addController(platform, siteId, {
    serial: 1001,
    ip: '192.168.1.20',
    label: 'AHU 1',
    gatewayDeviceId,
  });
  const boiler = await addController(platform, siteId, {
    serial: 1002,
    ip: '192.168.1.21',
    label: 'Boiler',
    gatewayDeviceId,
  });
  const ts = now - 1000;
  await ingestPoints(
    platform,
    gateway.deviceToken,
    'seed-site',
    [
      { controller: 1001, point: 'IN1', ts, value: 21.5, range: 3, manual: false, digital: false },
      { controller: 1001, point: 'IN2', ts, value: 45.2, range: 27, manual: false, digital: false },
      { controller: 1001, point: 'OUT1', ts, value: 1, range: 1, manual: true, digital: true },
      { controller: 1001, point: 'OUT2', ts, value: 6.5, range: 1, manual: false, digital: false },
      { controller: 1001, point: 'VAR1', ts, value: 22, range: 1, manual: false, digital: false },
      { controller: 1002, point: 'IN1', ts, value: 60.25, range: 3, manual: false, digital: false },
    ],
    [...healthSamples(1001, true, ts), ...healthSamples(1002, false, ts)],
  );
  const trendLog = await adminCall<{ id: string }>(platform as LocalPlatform, 'POST', '/v1/trend-logs', {
    name: 'AHU temperatures',
    siteId,
    intervalSeconds: 60,
    points: [
      { controllerId: ahu, point: 'IN1' },
      { controllerId: ahu, point: 'IN2' },
    ],
    registers: [
      { controllerId: ahu, spec: { name: 'supply_flow', register: 'holding', address: 100, type: 'FLOAT32' } },
    ],
  });
  return { siteId, gateway, controllerIds: [ahu, boiler], trendLogId: trendLog.id };
}
