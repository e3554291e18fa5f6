import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db } from '../db.ts';
import { badRequest } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { createController, deleteController, patchController } from '../services/sites/controller-changes.ts';
import { controllerViews, siteControllers } from '../services/sites/controllers.ts';
import {
  CONTROLLER_ID,
  controllerBodyExample,
  controllerExample,
  controllerViewSchema,
  invalid400,
  notFound404,
  serialTaken409,
  SITE_ID,
} from '../services/sites/docs.ts';
import { controllerBody, controllerParams, controllerPatch, siteParams } from '../services/sites/schemas.ts';
import { loadController, loadSite } from '../services/sites/store.ts';

const TAG = 'Sites';

/** `/v1/controllers/:id`: one controller. Its points are in routes/points.ts. Members write, everyone reads. */
export const controllerRoutes = new Hono<AppEnv>()
  .get(
    '/:id',
    doc({
      operationId: 'getController',
      summary: 'Get a controller',
      description:
        "With its status and last successful read, from its gateway's health samples (never from the controller).",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: controllerParams,
      example: { params: { id: CONTROLLER_ID } },
      responses: {
        200: { description: 'The controller', schema: controllerViewSchema, example: controllerExample },
        404: notFound404.controller,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const row = await loadController(db(c.env.DB), orgId, c.req.valid('param').id);
      const [view] = await controllerViews(c.env, orgId, [row]);
      return c.json(view!);
    },
  )
  .patch(
    '/:id',
    doc({
      operationId: 'updateController',
      summary: 'Change a controller',
      description:
        'Only the fields given change; `null` clears `label` or `timeoutMs`, or (for `gatewayDeviceId`) leaves it unpolled. `siteId` moves it to another site of the organisation; `gatewayDeviceId` must be a gateway of it. A change of gateway, address, port, unit or timeout reaches the gateways through their remote config. The next discovery report overwrites `ip`, `port` and `modbusId` with what the controller says.',
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: controllerParams,
      body: controllerPatch,
      example: { params: { id: CONTROLLER_ID }, body: { label: 'AHU 1 (roof)' } },
      responses: {
        200: {
          description: 'The controller as changed',
          schema: controllerViewSchema,
          example: { ...controllerExample, label: 'AHU 1 (roof)' },
        },
        400: invalid400(badRequest('invalid_input', 'siteId: no site "site_x" in this organisation', 'siteId')),
        404: notFound404.controller,
      },
    }),
    async (c) => {
      const before = await loadController(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id);
      return c.json(await patchController(c, before, c.req.valid('json')));
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'deleteController',
      summary: 'Delete a controller',
      description:
        'Its point labels and its entries in trend logs go with it; its history stays (the points are series of the gateway device). A discovery report that lists it again adds it back.',
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: controllerParams,
      example: { params: { id: CONTROLLER_ID } },
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.string() }), example: { id: CONTROLLER_ID } },
        404: notFound404.controller,
      },
    }),
    async (c) => {
      const row = await loadController(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id);
      await deleteController(c, row);
      return c.json({ id: row.id });
    },
  );

/** `/v1/sites/:id/controllers`: a site's controllers, and adding one by hand. */
export const siteControllerRoutes = new Hono<AppEnv>()
  .get(
    '/:id/controllers',
    doc({
      operationId: 'listSiteControllers',
      summary: "List a site's controllers",
      description:
        "By serial number, each with its status and last successful read, from its gateway's health samples (`gateway_controller_up`, `gateway_controller_last_success_timestamp_seconds`), never from the controller.",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: siteParams,
      example: { params: { id: SITE_ID } },
      responses: {
        200: {
          description: 'The controllers',
          schema: z.object({ controllers: z.array(controllerViewSchema) }),
          example: { controllers: [controllerExample] },
        },
        404: notFound404.site,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const site = await loadSite(db(c.env.DB), orgId, c.req.valid('param').id);
      const rows = await siteControllers(c.env, orgId, site.id);
      return c.json({ controllers: await controllerViews(c.env, orgId, rows) });
    },
  )
  .post(
    '/:id/controllers',
    doc({
      operationId: 'createController',
      summary: 'Add a controller by hand',
      description:
        "For a controller discovery cannot reach (another subnet) or any Modbus TCP device. The serial number is its `controller` label in the gateway's samples and must be unique in the organisation; `gatewayDeviceId` names the gateway that polls it.",
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: siteParams,
      body: controllerBody,
      example: { params: { id: SITE_ID }, body: { ...controllerBodyExample, gatewayDeviceId: null } },
      responses: {
        201: {
          description: 'The controller',
          schema: controllerViewSchema,
          example: {
            ...controllerExample,
            id: CONTROLLER_ID,
            source: 'manual',
            discoveredAt: null,
            status: 'unknown',
            lastReadAt: null,
          },
        },
        400: invalid400(
          badRequest('invalid_input', 'gatewayDeviceId: no gateway "dev_x" in this organisation', 'gatewayDeviceId'),
        ),
        404: notFound404.site,
        409: serialTaken409,
      },
    }),
    async (c) => {
      const site = await loadSite(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id);
      return c.json(await createController(c, site, c.req.valid('json')), 201);
    },
  );
