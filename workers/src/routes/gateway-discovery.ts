import { Hono } from 'hono';
import { z } from 'zod';
import { discoveryReport } from '../../../schema/wire/gateway.ts';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { CONTROLLER_ID } from '../services/sites/docs.ts';
import { notAGateway, upsertDiscovered } from '../services/sites/discovery.ts';
import { pushGatewayConfig } from '../services/sites/push.ts';

const DEVICE_ID = 'dev_01jd5w2q7n4m1k8j';
const reportExample = {
  at: 1795000000000,
  controllers: [
    {
      serial: 1234567,
      productId: 74,
      modbusId: 1,
      ip: '192.168.1.20',
      port: 502,
      firmware: 6502,
      parentSerial: null,
      panelNumber: 1,
      panelName: 'AHU-1',
      bacnetInstance: 1234567,
      bacnetPort: 47808,
      replyFrom: '192.168.1.20:1234',
    },
  ],
};

/** `/v1/agents/gateway`: what a gateway reports about the controllers it found. */
export const gatewayDiscoveryRoutes = new Hono<AppEnv>().post(
  '/discovered',
  doc({
    operationId: 'reportDiscoveredControllers',
    summary: 'Report the controllers a discovery round found',
    description:
      "Called by a gateway (its device token) after each discovery round with the full list (`DiscoveredController` of agent/src/gateway/discovery-protocol.ts). Controllers are upserted by serial number: a new one joins the gateway's site and is polled by this gateway; a known one (anywhere in the organisation) takes what it now reports and keeps its site, label and gateway. Reporting the same round again changes nothing. A controller the round did not list is kept (its status comes from the gateway's health samples). When the gateway's controllers change, so does its remote config.",
    tag: 'Sites',
    auth: 'device',
    body: discoveryReport,
    example: { body: reportExample },
    responses: {
      200: {
        description: 'What the round changed, and the id of every controller it listed',
        schema: z.object({
          created: z.number().int(),
          updated: z.number().int(),
          unchanged: z.number().int(),
          controllers: z.array(z.object({ serial: z.number().int(), id: z.string() })),
        }),
        example: { created: 1, updated: 0, unchanged: 0, controllers: [{ serial: 1234567, id: CONTROLLER_ID }] },
      },
      409: {
        description: 'The device is not a gateway (`not_a_gateway`), or has no site yet (`gateway_without_site`)',
        example: notAGateway(DEVICE_ID).body(),
      },
    },
  }),
  async (c) => {
    const { orgId, deviceId } = c.var.device;
    const { gateways, ...result } = await upsertDiscovered(c.env, orgId, deviceId, c.req.valid('json'));
    await pushGatewayConfig(c, gateways);
    return c.json(result);
  },
);
