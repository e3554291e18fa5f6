import type { HostNotice } from '../../../schema/wire/notices.ts';

/**
 * C0 and C1 controls with DEL (ESC starts terminal escape sequences, which could move the
 * cursor, retitle the window or fake a prompt), and the bidi overrides and isolates that make a
 * terminal show text in another order than it is.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Server text made safe for a terminal: control characters removed (whitespace ones become a
 * space, so a field cannot add lines of its own) and cut at `max` characters.
 */
export function terminalSafe(text: string, max = 500): string {
  const clean = text.replace(UNSAFE, (c) => (c === '\t' || c === '\n' || c === '\r' ? ' ' : '')).trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** `2026-12-04T03:10:22Z`; a time out of Date's range is shown as the number it is. */
export function isoSeconds(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * What `wall` shows: the title, the summary, the time and the incident's URL, e.g.
 * `Edgewatch: [Firing · CRITICAL] Disk almost full on web-1\n  disk_used_percent is 93.2 (> 90)\n  at 2026-12-04T03:10:22Z  https://…`.
 */
export function wallText(n: HostNotice): string {
  const url = n.url ? `  ${terminalSafe(n.url)}` : '';
  return `Edgewatch: ${terminalSafe(n.title)}\n  ${terminalSafe(n.summary)}\n  at ${isoSeconds(n.at)}${url}`;
}

/** One journal entry: systemd-cat makes an entry of each line, so the notice is one line. */
export function journalLine(n: HostNotice): string {
  const url = n.url ? ` ${terminalSafe(n.url)}` : '';
  return `${terminalSafe(n.title)}: ${terminalSafe(n.summary)} (at ${isoSeconds(n.at)})${url}`;
}

/** The journal priority: an incident that fires critical is an error, one that ends is information. */
export function journalPriority(n: HostNotice): 'err' | 'warning' | 'info' {
  if (n.transition === 'resolved' || n.transition === 'acknowledged') return 'info';
  return n.severity === 'critical' && n.transition !== 'deescalated' ? 'err' : 'warning';
}

/** A line of `edgewatch-agent notices`: time, transition, severity, title, summary, URL. */
export function listLine(n: HostNotice): string {
  const url = n.url ? `  ${terminalSafe(n.url)}` : '';
  return `${isoSeconds(n.at)}  ${n.transition.padEnd(14)}  ${n.severity.padEnd(8)}  ${terminalSafe(n.title)} — ${terminalSafe(n.summary)}${url}`;
}
