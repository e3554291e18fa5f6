import { doc } from '../openapi/doc.ts';
import { deviceListQuery, deviceParams, devicePatch } from '../services/devices/schemas.ts';

/** OpenAPI metadata of the devices routes (kept apart so the router reads as routes). */

const deviceExample = {
  id: 'dev_k3v9q2m8x1c7r4t6w0z5y8b2',
  name: 'web-1',
  kind: 'host',
  siteId: 'site_p4n7d2k9s1m6x3q8v0c5r2w7',
  tags: ['prod', 'eu-west'],
  agentVersion: '0.1.0',
  lastSeenAt: 1795345200000,
  status: 'online',
  series: { count: 42, limit: 10000 },
  createdAt: 1794990000000,
};
const params = { id: deviceExample.id };
const notFound = { description: 'No such device in your organisation' };

export const deviceDocs = {
  list: doc({
    operationId: 'listDevices',
    summary: 'List devices',
    description:
      'Devices of your organisation in (name, id) order, filtered by site, tag, kind and status. Pass `nextCursor` back as `cursor` for the next page; it is null on the last page.',
    tag: 'Devices',
    auth: 'caller',
    permission: 'org.read',
    query: deviceListQuery,
    example: { query: { tag: 'prod', status: 'online', limit: '100' } },
    responses: {
      200: {
        description: 'One page of devices',
        example: { devices: [deviceExample], nextCursor: 'eyJuYW1lIjoid2ViLTEiLCJpZCI6ImRldl9rM3Y5In0' },
      },
      400: { description: 'A bad query parameter, named in `field`' },
    },
  }),
  get: doc({
    operationId: 'getDevice',
    summary: 'Get a device',
    tag: 'Devices',
    auth: 'caller',
    permission: 'org.read',
    params: deviceParams,
    example: { params },
    responses: { 200: { description: 'The device', example: deviceExample }, 404: notFound },
  }),
  patch: doc({
    operationId: 'updateDevice',
    summary: 'Rename a device, move it to a site, or set its tags',
    description: 'Only the fields given change. `siteId: null` takes the device out of its site.',
    tag: 'Devices',
    auth: 'caller',
    permission: 'devices.write',
    params: deviceParams,
    body: devicePatch,
    example: { params, body: { name: 'web-1', siteId: deviceExample.siteId, tags: ['prod', 'eu-west'] } },
    responses: {
      200: { description: 'The device as updated', example: deviceExample },
      400: { description: 'A bad field, or a `siteId` that is not a site of your organisation' },
      404: notFound,
    },
  }),
  delete: doc({
    operationId: 'deleteDevice',
    summary: 'Delete a device and all its telemetry',
    description: 'Its series, rollups, raw samples and config overrides are deleted; its token stops working.',
    tag: 'Devices',
    auth: 'caller',
    permission: 'devices.admin',
    params: deviceParams,
    example: { params },
    responses: { 204: { description: 'Deleted' }, 404: notFound },
  }),
  deleteData: doc({
    operationId: 'deleteDeviceData',
    summary: "Delete a device's telemetry, keeping the device",
    description: 'Series, rollups and raw samples are deleted; the device keeps reporting with its token.',
    tag: 'Devices',
    auth: 'caller',
    permission: 'devices.admin',
    params: deviceParams,
    example: { params },
    responses: {
      200: {
        description: 'What was deleted',
        example: { deviceId: deviceExample.id, deleted: { series: 12, samples: 864000 } },
      },
      404: notFound,
    },
  }),
  latest: doc({
    operationId: 'getDeviceLatest',
    summary: "Latest value of each of a device's series",
    tag: 'Devices',
    auth: 'caller',
    permission: 'org.read',
    params: deviceParams,
    example: { params },
    responses: {
      200: {
        description: "Latest values, from the device's DeviceHub",
        example: {
          deviceId: deviceExample.id,
          values: [
            {
              seriesId: 's_3f1c9a0b7d2e4f6a8b1c3d5e',
              metric: 'disk_used_bytes',
              labels: { mount: '/' },
              ts: 1795345200000,
              value: 12884901888,
            },
          ],
        },
      },
      404: notFound,
    },
  }),
  revoke: doc({
    operationId: 'revokeDevice',
    summary: "Revoke a device's token",
    description: 'The device and its data stay; its ingest and MQTT connections are refused from now on.',
    tag: 'Devices',
    auth: 'caller',
    permission: 'devices.admin',
    params: deviceParams,
    example: { params },
    responses: {
      200: { description: 'Revoked', example: { id: deviceExample.id, revokedAt: 1795345260000 } },
      404: notFound,
    },
  }),
};
