import { z } from 'zod';
import { bacnetObjectId, rawRegister, t3PointId } from '../../../../schema/wire/gateway.ts';
import { idParams, idString } from '../http/query-schemas.ts';
import { nonBlank } from '../../../../schema/wire/text.ts';

/** Request schemas of sites, controllers, points and trend logs (docs/gateway.md). */

const text = (what: string, max: number, example: string) =>
  nonBlank(`${what} must not be blank (example: "${example}")`).max(max);

/** Whether `zone` is an IANA time zone this runtime knows (`Europe/Zurich`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// The pattern keeps out UTC offsets ("+01:00"), which Intl also takes but are not zones.
const timeZone = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_+-]{0,40}(?:\/[A-Za-z0-9_+-]{1,40}){0,2}$/, 'timeZone must be an IANA time zone')
  .refine(isTimeZone, { message: 'timeZone is not an IANA time zone (example: "Europe/Zurich")' })
  .describe("IANA time zone, e.g. `Europe/Zurich`; checked against the runtime's zone database");

const host = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, 'must be a host name or an IP address (example: "192.168.1.20")');
const port = z.number().int().min(1).max(65_535);

const discovery = z.strictObject({
  enabled: z.boolean().optional(),
  intervalSeconds: z.number().int().min(60).max(86_400).optional().describe('Seconds between rounds'),
  targets: z
    .array(z.strictObject({ host, port: port.default(1234) }))
    .max(256)
    .optional()
    .describe('Addresses asked directly (routed networks); with none, the query is broadcast'),
});

export const siteParams = idParams('site');

/** Body of `POST /v1/sites`. */
export const siteBody = z.strictObject({
  name: text('name', 100, 'Main building').min(1),
  address: text('address', 500, 'Bahnhofstrasse 1, Zürich').nullable().optional(),
  timeZone: timeZone.default('UTC'),
  discovery: discovery.optional().describe("How the site's gateways look for controllers"),
});

/** Body of `PATCH /v1/sites/:id`: only the fields given change; `discovery` fields too. */
export const sitePatch = z.strictObject({
  name: siteBody.shape.name.optional(),
  address: siteBody.shape.address,
  timeZone: timeZone.optional(),
  discovery: discovery.optional(),
});
export type SitePatch = z.infer<typeof sitePatch>;

const serial = z.number().int().min(0).max(4_294_967_295).describe('Serial number: unique in the organisation');
const label = text('label', 100, 'AHU 1').nullable();
const timeoutMs = z.number().int().min(100).max(60_000).describe('Per request; the gateway uses 5,000 ms when unset');

/** Body of `POST /v1/sites/:id/controllers`: a controller entered by hand. */
export const controllerBody = z.strictObject({
  serial,
  label: label.optional(),
  ip: host.describe('IP address or host name the gateway connects to'),
  port: port.default(502).describe('Modbus TCP port'),
  modbusId: z.number().int().min(0).max(255).default(1).describe('Modbus unit id'),
  gatewayDeviceId: idString('gatewayDeviceId').nullable().optional().describe('The gateway device that polls it'),
  productId: z.number().int().min(0).max(255).nullable().optional(),
  bacnetInstance: z.number().int().min(0).max(4_194_302).nullable().optional(),
  bacnetPort: port.nullable().optional(),
  panelName: z.string().max(20).nullable().optional(),
  timeoutMs: timeoutMs.nullable().optional(),
});
export type ControllerBody = z.infer<typeof controllerBody>;

/** Body of `PATCH /v1/controllers/:id`. */
export const controllerPatch = z.strictObject({
  label: label.optional(),
  siteId: idString('siteId').optional(),
  gatewayDeviceId: idString('gatewayDeviceId').nullable().optional(),
  ip: host.optional(),
  port: port.optional(),
  modbusId: z.number().int().min(0).max(255).optional(),
  timeoutMs: timeoutMs.nullable().optional(),
  // A controller entered by hand gets its BACnet device later, for trend logs' BACnet objects.
  bacnetInstance: controllerBody.shape.bacnetInstance,
  bacnetPort: controllerBody.shape.bacnetPort,
});
export type ControllerPatch = z.infer<typeof controllerPatch>;

export const controllerParams = idParams('controller');

/** Query of `GET /v1/controllers/:id/points`. */
export const pointsQuery = z.strictObject({
  type: z.enum(['IN', 'OUT', 'VAR']).optional().describe('Only points of this type'),
  all: z
    .enum(['true', 'false'])
    .optional()
    .describe('`true` lists all 256 T3 points; otherwise those with a value, a flag or a label'),
});

function noRepeats<T>(key: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `${what} ${k} is listed twice` });
      seen.add(k);
    });
  };
}

/** Body of `PATCH /v1/controllers/:id/points`: labels and units of some points; `null` clears. */
export const pointsPatch = z.strictObject({
  points: z
    .array(
      z.strictObject({
        point: t3PointId,
        label: text('label', 100, 'Supply air temperature').nullable().optional(),
        unit: text('unit', 20, '°C').nullable().optional(),
      }),
    )
    .min(1)
    .max(256)
    .superRefine(noRepeats((p) => p.point, 'point')),
});
export type PointsPatch = z.infer<typeof pointsPatch>;

const trendLogPoint = z.strictObject({ controllerId: idString('controllerId'), point: t3PointId });
const trendLogRegister = z.strictObject({
  controllerId: idString('controllerId'),
  spec: rawRegister,
});

const trendLogBacnet = z
  .strictObject({
    controllerId: idString('controllerId').describe('A controller with a BACnet instance'),
    object: bacnetObjectId,
  })
  .describe('A BACnet object, `<type>:<instance>` (e.g. `analog-input:3`), whose `presentValue` is read');

const trendLogFields = {
  name: text('name', 100, 'Supply temperatures').min(1),
  intervalSeconds: z.number().int().min(1).max(86_400).describe('How often the gateway reads the entries'),
  points: z
    .array(trendLogPoint)
    .max(2560)
    .superRefine(noRepeats((p) => `${p.controllerId} ${p.point}`, 'point')),
  registers: z
    .array(trendLogRegister)
    .max(1000)
    .superRefine(noRepeats((r) => `${r.controllerId} ${r.spec.name}`, 'register')),
  bacnet: z
    .array(trendLogBacnet)
    .max(1000)
    .superRefine(noRepeats((b) => `${b.controllerId} ${b.object}`, 'BACnet object')),
};

/**
 * Body of `POST /v1/trend-logs`: a site's or one gateway's trend log. Every entry's controller
 * must be at that site (or be polled by that gateway).
 */
export const trendLogBody = z
  .strictObject({
    ...trendLogFields,
    siteId: idString('siteId').optional().describe('The site whose controllers it reads (or gatewayDeviceId)'),
    gatewayDeviceId: idString('gatewayDeviceId').optional().describe('The gateway whose controllers it reads'),
    points: trendLogFields.points.default([]),
    registers: trendLogFields.registers.default([]),
    bacnet: trendLogFields.bacnet.default([]),
  })
  .describe('Give exactly one of siteId and gatewayDeviceId');
export type TrendLogBody = z.infer<typeof trendLogBody>;

/** Body of `PATCH /v1/trend-logs/:id`: fields given replace the stored ones (lists whole). */
export const trendLogPatch = z.strictObject({
  name: trendLogFields.name.optional(),
  intervalSeconds: trendLogFields.intervalSeconds.optional(),
  points: trendLogFields.points.optional(),
  registers: trendLogFields.registers.optional(),
  bacnet: trendLogFields.bacnet.optional(),
});
export type TrendLogPatch = z.infer<typeof trendLogPatch>;

export const trendLogParams = idParams('trend log');

/** Query of `GET /v1/trend-logs`. */
export const trendLogListQuery = z.strictObject({
  siteId: idString('siteId').optional().describe("Only this site's trend logs"),
  gatewayDeviceId: idString('gatewayDeviceId').optional().describe("Only this gateway's trend logs"),
});
