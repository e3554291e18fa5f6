import { z } from 'zod';
import { deviceKinds } from '../../../../schema/tables/devices.ts';
import type { DeviceStatus } from '../../../../schema/wire/telemetry.ts';
import { cursorParam, idParams, idString, pageLimit } from '../http/query-schemas.ts';
import { nonBlank } from '../../../../schema/wire/text.ts';

/** Request schemas of the devices API, shared by the handlers and their OpenAPI docs. */

export const deviceStatuses = ['online', 'stale', 'offline'] as const satisfies readonly DeviceStatus[];

/** Query of `GET /v1/devices`. */
export const deviceListQuery = z.strictObject({
  site: idString('site').optional(),
  tag: z.string().min(1).max(100).optional(),
  kind: z.enum(deviceKinds).optional(),
  status: z.enum(deviceStatuses).optional(),
  cursor: cursorParam.optional(),
  limit: pageLimit(100, 500),
});

/** Path parameters of `/v1/devices/:id…`. */
export const deviceParams = idParams('device');

/** Body of `PATCH /v1/devices/:id`: only the fields given change. */
export const devicePatch = z.strictObject({
  name: nonBlank('name must not be blank').max(200).optional(),
  siteId: idString('siteId').nullable().optional(),
  tags: z
    .array(z.string().min(1).max(64))
    .max(32)
    .transform((tags) => [...new Set(tags)])
    .optional(),
});
