import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { unauthorized } from '../../errors.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { sha256Hex } from '../../services/credentials/crypto.ts';
import { parseDeviceToken } from '../../services/credentials/tokens.ts';

/**
 * Authenticates a device by `Authorization: Bearer ewd.<deviceId>.<secret>`. The token names
 * its device, so the check is one call to that device's DeviceHub, with no D1 query.
 */
export function requireDevice(): MiddlewareHandler<AppEnv> {
  return async function requireDevice(c, next) {
    const token = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const parsed = token ? parseDeviceToken(token) : null;
    if (!token || !parsed) throw unauthorized('send the device token as "Authorization: Bearer ewd.…"');
    const tokenHash = await sha256Hex(token);
    const identity = await deviceHubFor(c.env, parsed.deviceId).authenticate(parsed.deviceId, tokenHash);
    if (!identity) throw unauthorized('device token is unknown or revoked');
    c.set('device', { deviceId: parsed.deviceId, tokenHash, orgId: identity.orgId, siteId: identity.siteId });
    await next();
  };
}
