import type { DeviceStatus } from '../../../../schema/wire/telemetry.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';

/**
 * Online while the device's hub has it as live (it writes `live` only when the status changes,
 * see objects/device-hub/device-report.ts) or within the window of its last batch; then stale
 * within ten windows, offline after that or never seen.
 */
export function deviceStatus(
  row: { lastSeenAt: number | null; live?: boolean },
  now: number,
  windowSeconds: number,
): DeviceStatus {
  if (row.live) return 'online';
  if (row.lastSeenAt === null) return 'offline';
  const age = now - row.lastSeenAt;
  if (age <= windowSeconds * 1000) return 'online';
  if (age <= windowSeconds * 10_000) return 'stale';
  return 'offline';
}

/**
 * Rows with the exact last-seen time and agent version of their live devices, from each one's
 * DeviceHub (D1 has them as of the device's last status change). One call per live device, in
 * parallel; a hub that does not answer leaves D1's values.
 */
export async function withExactSeen<
  T extends { id: string; live: boolean; lastSeenAt: number | null; agentVersion: string | null },
>(env: Env, rows: readonly T[]): Promise<T[]> {
  return Promise.all(
    rows.map(async (row) => {
      if (!row.live) return row;
      const seen = await deviceHubFor(env, row.id)
        .seen()
        .catch(() => null);
      if (!seen || seen.lastSeenAt === null) return row;
      return {
        ...row,
        lastSeenAt: Math.max(seen.lastSeenAt, row.lastSeenAt ?? 0),
        agentVersion: seen.agentVersion ?? row.agentVersion,
      };
    }),
  );
}
