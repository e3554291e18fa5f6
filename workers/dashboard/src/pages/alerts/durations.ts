/**
 * Human durations for the alert forms: people type "5m", "1h30m" or "2d"; the API takes ms.
 * `ms` (npm) rounds when formatting (90 s reads "2m"), and a rule's "for 90s" must read back
 * exactly as saved, so both directions are here and round-trip.
 */

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const MS_OF = new Map(UNITS);
const TOKEN = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/g;

/** "1h30m", "5m", "90s", "2d", "1.5h", "0" → ms; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, '');
  if (t === '0') return 0;
  if (!/^(\d+(?:\.\d+)?(ms|d|h|m|s))+$/.test(t)) return null;
  let total = 0;
  for (const [, n, unit] of t.matchAll(TOKEN)) total += Number(n) * MS_OF.get(unit!)!;
  return Math.round(total);
}

/** ms → "1h30m" (exact, largest units first); 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** What to say beside a duration field the browser could not read. */
export const DURATION_HINT = 'write a duration such as 30s, 5m, 1h30m or 2d';
