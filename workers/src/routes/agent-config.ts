import { Hono } from 'hono';
import { remoteAgentConfigPatch } from '../../../schema/wire/agent-config.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAuth } from '../middleware/auth/index.ts';
import { requireDevice } from '../middleware/device-auth/index.ts';
import { configLayer, effectiveConfig, ORG_SCOPE, saveConfigLayer } from '../services/agent-config.ts';
import { notifyConfigChanged } from '../services/config-push.ts';
import { recordEvent } from '../services/events.ts';
import { deviceEventSubject, orgEventSubject } from '../services/subjects.ts';
import { jsonBody } from '../services/validate.ts';
import { orgDevice } from './devices.ts';

/** `GET /v1/agents/config`: the calling device's effective config, with an ETag for cheap polling. */
export const agentConfigPollRoutes = new Hono<AppEnv>().get('/', requireDevice(), async (c) => {
  const { orgId, deviceId } = c.var.device;
  const { config, etag } = await effectiveConfig(c.env, orgId, deviceId);
  c.header('ETag', etag);
  c.header('Cache-Control', 'no-cache');
  if (c.req.header('if-none-match') === etag) return c.body(null, 304);
  return c.json({ config });
});

/** `GET|PUT /v1/agent-config`: the org-wide default (sections given replace the built-in defaults). */
export const orgAgentConfigRoutes = new Hono<AppEnv>()
  .get('/', requireAuth('read'), async (c) => {
    return c.json({ scope: 'org', config: await configLayer(c.env, c.var.caller.orgId, ORG_SCOPE) });
  })
  .put('/', requireAuth('admin'), async (c) => {
    const patch = await jsonBody(c, remoteAgentConfigPatch);
    const { orgId, userId } = c.var.caller;
    await saveConfigLayer(c.env, orgId, ORG_SCOPE, patch, userId);
    await recordEvent(c.env, {
      orgId,
      type: 'config.changed',
      subject: orgEventSubject(orgId, 'config.changed'),
      correlationId: c.var.requestId,
      data: { scope: 'org', by: userId ?? c.var.caller.credentialId, sections: Object.keys(patch) },
    });
    c.executionCtx.waitUntil(notifyConfigChanged(c.env, orgId, 'all'));
    return c.json({ scope: 'org', config: patch });
  });

/** `GET|PUT /v1/devices/:id/agent-config`: one device's overrides, and what it effectively runs. */
export const deviceAgentConfigRoutes = new Hono<AppEnv>()
  .get('/:id/agent-config', requireAuth('read'), async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.param('id'));
    const [overrides, effective] = await Promise.all([
      configLayer(c.env, device.orgId, device.id),
      effectiveConfig(c.env, device.orgId, device.id),
    ]);
    return c.json({ deviceId: device.id, overrides, effective: effective.config });
  })
  .put('/:id/agent-config', requireAuth('admin'), async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.param('id'));
    const patch = await jsonBody(c, remoteAgentConfigPatch);
    await saveConfigLayer(c.env, device.orgId, device.id, patch, c.var.caller.userId);
    await recordEvent(c.env, {
      orgId: device.orgId,
      type: 'config.changed',
      subject: deviceEventSubject(device.orgId, device.siteId, device.id, 'config.changed'),
      correlationId: c.var.requestId,
      data: { scope: 'device', deviceId: device.id, sections: Object.keys(patch) },
    });
    c.executionCtx.waitUntil(notifyConfigChanged(c.env, device.orgId, [device.id]));
    const effective = await effectiveConfig(c.env, device.orgId, device.id);
    return c.json({ deviceId: device.id, overrides: patch, effective: effective.config });
  });
