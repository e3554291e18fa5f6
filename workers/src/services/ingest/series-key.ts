import { sha256Hex } from '../credentials/crypto.ts';

/** Canonical key of a series within one device: metric plus labels sorted by name. */
export function seriesKey(metric: string, labels: Record<string, string> | undefined): string {
  if (!labels) return metric;
  const names = Object.keys(labels).sort();
  if (names.length === 0) return metric;
  return `${metric}{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

/**
 * Global series id, derived from device and key, so a DeviceHub names a series without asking
 * D1 for an id. 96 bits of SHA-256: collisions are out of reach for any fleet.
 */
export async function seriesId(deviceId: string, key: string): Promise<string> {
  return `s_${(await sha256Hex(`${deviceId}\n${key}`)).slice(0, 24)}`;
}
