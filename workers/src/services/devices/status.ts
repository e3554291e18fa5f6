import type { DeviceStatus } from '../../../../schema/wire/telemetry.ts';

/** online within the window, stale within ten windows, offline after that or never seen. */
export function deviceStatus(lastSeenAt: number | null, now: number, windowSeconds: number): DeviceStatus {
  if (lastSeenAt === null) return 'offline';
  const age = now - lastSeenAt;
  if (age <= windowSeconds * 1000) return 'online';
  if (age <= windowSeconds * 10_000) return 'stale';
  return 'offline';
}
