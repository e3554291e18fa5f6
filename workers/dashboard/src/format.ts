/** "12 s ago", "4 min ago", "3 h ago", "2 d ago"; "never" for a device that has not reported. */
export function timeAgo(ts: number | null, now: number): string {
  if (ts === null) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** "3 d 4 h", "5 h 12 min", "7 min" from seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

/** A percentage with one decimal, e.g. "37.2 %". */
export const percent = (value: number): string => `${value.toFixed(1)} %`;

/** A local wall-clock time with seconds, for "updated at" hints and tooltips. */
export const clock = (ts: number): string =>
  new Date(ts).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
