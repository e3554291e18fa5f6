import { randomToken } from './crypto.ts';

/**
 * Credential formats. Prefixes make leaked secrets recognisable (and scannable); the part a
 * caller presents is only ever stored as a SHA-256.
 */

/** `ewd.<deviceId>.<secret>`: carries the device id so ingest routes to the DeviceHub without D1. */
export function newDeviceToken(deviceId: string): string {
  return `ewd.${deviceId}.${randomToken(32)}`;
}

export function parseDeviceToken(token: string): { deviceId: string } | null {
  const m = /^ewd\.(dev_[a-z0-9]{8,40})\.[A-Za-z0-9_-]{20,100}$/.exec(token);
  return m ? { deviceId: m[1]! } : null;
}

export const newApiKey = () => `ewk_${randomToken(32)}`;
export const isApiKey = (s: string) => /^ewk_[A-Za-z0-9_-]{20,100}$/.test(s);
/** The visible part of an API key, shown in lists. */
export const apiKeyPrefix = (key: string) => key.slice(0, 12);

export const newEnrollmentToken = () => `ewe_${randomToken(24)}`;
export const newSessionToken = () => randomToken(32);

export const SESSION_COOKIE = 'ew_session';
