import { z } from 'zod';
import { rawRegister } from '../../../../schema/wire/gateway.ts';
import { badRequest } from '../../errors.ts';
import { notFoundResponse } from '../../openapi/responses.ts';
import { serialTaken } from './store.ts';

/** Answer schemas and examples of sites, controllers, points and trend logs. */

export const SITE_ID = 'site_01jd5x3m8k2q7r4t';
export const CONTROLLER_ID = 'ctl_01jd5x4p2w9e6y3u';
export const GATEWAY_ID = 'dev_01jd5w2q7n4m1k8j';
export const TREND_LOG_ID = 'tlg_01jd5x6r3t8y2u5i';
const T = 1795000000000;

const nullableInt = z.number().int().nullable();

export const gatewaySummary = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['online', 'stale', 'offline']),
  lastSeenAt: nullableInt,
});

export const siteView = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  timeZone: z.string(),
  discovery: z.object({
    enabled: z.boolean(),
    intervalSeconds: z.number().int(),
    targets: z.array(z.object({ host: z.string(), port: z.number().int() })),
  }),
  gateways: z.array(gatewaySummary).describe('Devices of kind gateway assigned to the site'),
  controllerCount: z.number().int(),
  controllerStatus: z
    .object({ online: z.number().int(), offline: z.number().int(), unknown: z.number().int() })
    .describe("Controllers by status, from their gateways' health samples"),
  createdAt: z.number().int(),
});

/** `GET /v1/sites/:id` answers what the list gives for each site. */
export const siteDetail = siteView;

export const siteExample = {
  id: SITE_ID,
  name: 'Main building',
  address: 'Bahnhofstrasse 1, 8001 Zürich',
  timeZone: 'Europe/Zurich',
  discovery: { enabled: true, intervalSeconds: 600, targets: [] },
  gateways: [{ id: GATEWAY_ID, name: 'gw-basement', status: 'online', lastSeenAt: T + 60_000 }],
  controllerCount: 3,
  controllerStatus: { online: 2, offline: 1, unknown: 0 },
  createdAt: T,
};
export const siteBodyExample = {
  name: 'Main building',
  address: 'Bahnhofstrasse 1, 8001 Zürich',
  timeZone: 'Europe/Zurich',
};
export const siteDetailExample = siteExample;

export const controllerViewSchema = z.object({
  id: z.string(),
  siteId: z.string(),
  gatewayDeviceId: z.string().nullable(),
  serial: z.number().int(),
  label: z.string().nullable(),
  productId: nullableInt,
  modbusId: z.number().int(),
  ip: z.string(),
  port: z.number().int(),
  bacnetInstance: nullableInt,
  bacnetPort: nullableInt,
  panelNumber: nullableInt,
  panelName: z.string().nullable(),
  firmware: nullableInt,
  parentSerial: nullableInt,
  timeoutMs: nullableInt,
  source: z.enum(['discovery', 'manual']),
  discoveredAt: nullableInt,
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  status: z
    .enum(['online', 'offline', 'unknown'])
    .describe(
      "From the gateway's `gateway_controller_up`: online when its last poll got an answer and is recent, unknown before the gateway reported on it",
    ),
  lastReadAt: nullableInt.describe("From the gateway's `gateway_controller_last_success_timestamp_seconds`"),
});

export const controllerExample = {
  id: CONTROLLER_ID,
  siteId: SITE_ID,
  gatewayDeviceId: GATEWAY_ID,
  serial: 1234567,
  label: 'AHU 1',
  productId: 74,
  modbusId: 1,
  ip: '192.168.1.20',
  port: 502,
  bacnetInstance: 1234567,
  bacnetPort: 47808,
  panelNumber: 1,
  panelName: 'AHU-1',
  firmware: 6502,
  parentSerial: null,
  timeoutMs: null,
  source: 'discovery',
  discoveredAt: T,
  createdAt: T,
  updatedAt: T,
  status: 'online',
  lastReadAt: T + 30_000,
};
export const controllerBodyExample = { serial: 1234567, label: 'AHU 1', ip: '192.168.1.20', port: 502, modbusId: 1 };

export const pointView = z.object({
  point: z.string(),
  pointType: z.enum(['IN', 'OUT', 'VAR']),
  pointNumber: z.number().int(),
  label: z.string().nullable(),
  unit: z.string().nullable(),
  value: z.number().nullable(),
  ts: nullableInt,
  seriesId: z
    .string()
    .nullable()
    .describe("The value's series, for /v1/series/{id}/history, stats, export, alerts, the stream"),
  range: z.number().nullable().describe("T3000's range code"),
  autoManual: z.enum(['auto', 'manual']).nullable(),
  analogDigital: z.enum(['analog', 'digital']).nullable(),
});

export const pointsAnswer = z.object({
  controllerId: z.string(),
  gatewayDeviceId: z.string().nullable(),
  points: z.array(pointView),
  registers: z.array(z.object({ name: z.string(), value: z.number(), ts: z.number().int(), seriesId: z.string() })),
});

export const pointExample = {
  point: 'IN1',
  pointType: 'IN',
  pointNumber: 1,
  label: 'Supply air temperature',
  unit: '°C',
  value: 21.513,
  ts: T + 30_000,
  seriesId: 's_9f2c4a1b7d3e5f60a1b2c3d4',
  range: 3,
  autoManual: 'auto',
  analogDigital: 'analog',
};
export const pointsExample = {
  controllerId: CONTROLLER_ID,
  gatewayDeviceId: GATEWAY_ID,
  points: [pointExample],
  registers: [],
};

const trendLogEntries = {
  points: z.array(z.object({ controllerId: z.string(), point: z.string() })),
  registers: z.array(z.object({ controllerId: z.string(), spec: rawRegister })),
  bacnet: z.array(z.object({ controllerId: z.string(), object: z.string() })),
};
export const trendLogView = z.object({
  id: z.string(),
  name: z.string(),
  siteId: z.string().nullable(),
  gatewayDeviceId: z.string().nullable(),
  intervalSeconds: z.number().int(),
  ...trendLogEntries,
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});

export const trendLogBodyExample = {
  name: 'Supply temperatures',
  siteId: SITE_ID,
  intervalSeconds: 60,
  points: [
    { controllerId: CONTROLLER_ID, point: 'IN1' },
    { controllerId: CONTROLLER_ID, point: 'OUT3' },
  ],
  registers: [
    {
      controllerId: CONTROLLER_ID,
      spec: { name: 'supply_flow', register: 'holding', address: 100, type: 'FLOAT32', byteOrder: 'CDAB', scale: 0.1 },
    },
  ],
  bacnet: [{ controllerId: CONTROLLER_ID, object: 'analog-input:3' }],
};
export const trendLogExample = {
  id: TREND_LOG_ID,
  gatewayDeviceId: null,
  ...trendLogBodyExample,
  createdAt: T,
  updatedAt: T,
};

export const notFound404 = {
  site: notFoundResponse('site', SITE_ID),
  controller: notFoundResponse('controller', CONTROLLER_ID),
  trendLog: notFoundResponse('trend log', TREND_LOG_ID),
};

export const serialTaken409 = {
  description: 'Another controller of the organisation has this serial number',
  example: serialTaken(1234567).body(),
};

export const invalid400 = (example: ReturnType<typeof badRequest>) => ({
  description: 'Invalid input; `field` names it',
  example: example.body(),
});
