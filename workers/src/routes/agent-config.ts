import { Hono } from 'hono';
import * as z from 'zod/mini';
import { DEFAULT_AGENT_CONFIG, remoteAgentConfig, remoteAgentConfigPatch } from '../../../schema/wire/agent-config.ts';
import { hostNotices, type HostNotice } from '../../../schema/wire/notices.ts';
import type { AppEnv } from '../app-env.ts';
import { notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert } from '../services/audit/record.ts';
import { configLayer, effectiveConfig, ORG_SCOPE, saveConfigLayer } from '../services/agents/config.ts';
import { notifyConfigChanged, orgConfigChanged } from '../services/agents/config-push.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { recordEvent } from '../services/events/record.ts';
import { deviceEventSubject, orgEventSubject } from '../services/streams/subjects.ts';
import { deviceParams } from '../services/devices/schemas.ts';
import { orgDevice } from './devices.ts';

const TAG = 'Agent configuration';
const DEVICE_ID = 'dev_01JD5W2Q';
const patchExample = {
  intervals: { probes: 15 },
  probes: [{ type: 'http', name: 'api', url: 'https://api.example.com/health', timeoutMs: 5000 }],
  processes: [{ name: 'postgres', match: 'postgres' }],
};
const deviceNotFound = notFound(`device "${DEVICE_ID}"`).body();
const effectiveExample = { ...DEFAULT_AGENT_CONFIG, ...patchExample };
const noticeExample: HostNotice = {
  id: 1042,
  at: 1795000300000,
  transition: 'firing',
  severity: 'critical',
  incidentId: 'inc_01jd5z9k2m',
  ruleName: 'Disk almost full',
  device: { id: DEVICE_ID, name: 'web-1' },
  summary: 'disk_used_percent{mount="/"} is 93.2 (value 93.2, threshold 90)',
  title: '[Firing · CRITICAL] Disk almost full on web-1',
  url: 'https://edgewatch.example.com/incidents/inc_01jd5z9k2m',
};

/** `GET /v1/agents/config`: the calling device's effective config, with an ETag for cheap polling. */
export const agentConfigPollRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getOwnAgentConfig',
    summary: "The calling device's effective agent config",
    description:
      "Built-in defaults, then the org's sections, then the device's. Poll with `If-None-Match`; 304 means unchanged. " +
      "`notices` are the device's newest host notices (at most 20 of the last 7 days, oldest first, ids increasing), from notification channels of kind `host`; the ETag covers them, so a new notice is a changed answer. An agent shows each id once (docs/agent.md).",
    tag: TAG,
    auth: 'device',
    example: {},
    responses: {
      200: {
        description: 'The effective config and the latest host notices',
        schema: z.strictObject({ config: remoteAgentConfig, notices: hostNotices }),
        example: { config: effectiveExample, notices: [noticeExample] },
      },
    },
  }),
  async (c) => {
    const { orgId, deviceId } = c.var.device;
    // From the device's hub, which keeps it until told of a change: no D1 statement per poll.
    const { config, notices, etag } = await deviceHubFor(c.env, deviceId).agentConfigAnswer({ orgId, deviceId });
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json({ config, notices });
  },
);

/** `GET|PUT /v1/agent-config`: the org-wide default (sections given replace the built-in defaults). */
export const orgAgentConfigRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'getOrgAgentConfig',
      summary: "The org's default agent config sections",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      example: {},
      responses: { 200: { description: "The org's stored sections", example: { scope: 'org', config: patchExample } } },
    }),
    async (c) => {
      return c.json({ scope: 'org', config: await configLayer(c.env, c.var.caller.orgId, ORG_SCOPE) });
    },
  )
  .put(
    '/',
    doc({
      operationId: 'putOrgAgentConfig',
      summary: "Set the org's default agent config",
      description: 'Each section given replaces the built-in default; agents apply it without a restart.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.manage',
      body: remoteAgentConfigPatch,
      example: { body: patchExample },
      responses: { 200: { description: 'The stored sections', example: { scope: 'org', config: patchExample } } },
    }),
    async (c) => {
      const patch = c.req.valid('json');
      const { orgId, userId } = c.var.caller;
      const before = await configLayer(c.env, orgId, ORG_SCOPE);
      await saveConfigLayer(c.env, orgId, ORG_SCOPE, patch, userId, [
        auditInsert(c, { targetType: 'organisation', targetId: orgId, before, after: patch }),
      ]);
      await recordEvent(c.env, {
        orgId,
        type: 'config.changed',
        subject: orgEventSubject(orgId, 'config.changed'),
        correlationId: c.var.requestId,
        data: { scope: 'org', by: userId ?? c.var.caller.credentialId, sections: Object.keys(patch) },
      });
      await orgConfigChanged(c.env, orgId);
      return c.json({ scope: 'org', config: patch });
    },
  );

/** `GET|PUT /v1/devices/:id/agent-config`: one device's overrides, and what it effectively runs. */
export const deviceAgentConfigRoutes = new Hono<AppEnv>()
  .get(
    '/:id/agent-config',
    doc({
      operationId: 'getDeviceAgentConfig',
      summary: "A device's agent config overrides and effective config",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: deviceParams,
      example: { params: { id: DEVICE_ID } },
      responses: {
        200: {
          description: 'Overrides and the effective config',
          example: { deviceId: DEVICE_ID, overrides: patchExample, effective: effectiveExample },
        },
        404: {
          description: 'No such device in your org',
          example: deviceNotFound,
        },
      },
    }),
    async (c) => {
      const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
      const [overrides, effective] = await Promise.all([
        configLayer(c.env, device.orgId, device.id),
        effectiveConfig(c.env, device.orgId, device.id),
      ]);
      return c.json({ deviceId: device.id, overrides, effective });
    },
  )
  .put(
    '/:id/agent-config',
    doc({
      operationId: 'putDeviceAgentConfig',
      summary: "Set one device's agent config overrides",
      description: 'Each section given replaces the inherited one; the agent applies it without a restart.',
      tag: TAG,
      auth: 'caller',
      permission: 'devices.write',
      body: remoteAgentConfigPatch,
      params: deviceParams,
      example: { params: { id: DEVICE_ID }, body: patchExample },
      responses: {
        200: {
          description: 'The stored overrides and the new effective config',
          example: { deviceId: DEVICE_ID, overrides: patchExample, effective: effectiveExample },
        },
        404: {
          description: 'No such device in your org',
          example: deviceNotFound,
        },
      },
    }),
    async (c) => {
      const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
      const patch = c.req.valid('json');
      const before = await configLayer(c.env, device.orgId, device.id);
      await saveConfigLayer(c.env, device.orgId, device.id, patch, c.var.caller.userId, [
        auditInsert(c, { targetType: 'device', targetId: device.id, before, after: patch }),
      ]);
      await recordEvent(c.env, {
        orgId: device.orgId,
        type: 'config.changed',
        subject: deviceEventSubject(device.orgId, device.siteId, device.id, 'config.changed'),
        correlationId: c.var.requestId,
        data: { scope: 'device', deviceId: device.id, sections: Object.keys(patch) },
      });
      await notifyConfigChanged(c.env, [device.id]);
      const effective = await effectiveConfig(c.env, device.orgId, device.id);
      return c.json({ deviceId: device.id, overrides: patch, effective });
    },
  );
