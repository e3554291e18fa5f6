import type { Systeminformation } from 'systeminformation';

type SystemInformation = typeof import('systeminformation');

let loading: Promise<SystemInformation> | undefined;

/**
 * systeminformation, loaded the first time a collector needs it. On Linux the collectors read
 * /proc and statfs directly, so the library (about 420 KiB of the bundle, in its own chunk) is
 * never parsed there; other platforms load it on their first collection.
 */
export function systemInformation(): Promise<SystemInformation> {
  loading ??= import('systeminformation').then((m) => (m as { default?: SystemInformation }).default ?? m);
  return loading;
}

export type { Systeminformation };
