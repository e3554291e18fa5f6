import { duration as formatDuration } from '../../format.ts';

/** Number formats of the fleet table: compact, fixed units, "—" for no value. */

export const DASH = '—';

/** `42.3 %` */
export const pct = (v: number | null): string => (v === null ? DASH : `${v.toFixed(1)} %`);

/** Bytes per second in B/s, kB/s, MB/s, GB/s (decimal, like network tools). */
export function rate(v: number | null): string {
  if (v === null) return DASH;
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let x = v;
  let i = 0;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i += 1;
  }
  return `${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${units[i]}`;
}

/** `3 d 4 h`, `5 h 12 min`, `7 min` */
export const duration = (seconds: number | null): string => (seconds === null ? DASH : formatDuration(seconds));

/** `1.25`, `12.5`, `125` */
export const load = (v: number | null): string => (v === null ? DASH : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** `54 °C` */
export const celsius = (v: number | null): string => (v === null ? DASH : `${Math.round(v)} °C`);

/** `1,234` in the reader's locale. */
export const count = (v: number): string => v.toLocaleString();
