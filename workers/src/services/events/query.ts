import type { StreamEvent } from '../../../../schema/wire/stream.ts';
import { badRequest } from '../../errors.ts';
import { type CompiledPattern, matches } from '../streams/subject-match.ts';

/**
 * Reads the event log for `GET /v1/events`, in (ts, id) order with an opaque cursor.
 * The subject pattern is narrowed in SQL by its literal prefix and matched exactly here.
 */

export interface EventQuery {
  orgId: string;
  pattern: CompiledPattern;
  /** Inclusive. */
  from?: number | undefined;
  /** Exclusive. */
  to?: number | undefined;
  correlationId?: string | undefined;
  type?: string | undefined;
  after?: Position | undefined;
  limit: number;
}

/** A place in the log's (ts, id) order. */
export interface Position {
  ts: number;
  id: string;
}

export interface EventPage {
  events: StreamEvent[];
  nextCursor: string | null;
}

/**
 * Rows read per request at most. A pattern that matches rarely under its prefix may return
 * a short page before the end; its cursor then points past the rows already read.
 */
const SCAN_BUDGET = 5_000;
/** Rows fetched per round trip while filling a page. */
const CHUNK = 500;

export function encodeCursor(p: Position): string {
  const bytes = new TextEncoder().encode(`${p.ts}:${p.id}`);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** Decodes a cursor from a previous page, or throws a 400 naming `cursor`. */
export function decodeCursor(cursor: string): Position {
  const bad = () => badRequest('invalid_input', 'cursor: not a cursor from a previous page', 'cursor');
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw bad();
  }
  const m = /^(\d{1,16}):([A-Za-z0-9_-]{1,100})$/.exec(text);
  if (!m) throw bad();
  return { ts: Number(m[1]), id: m[2]! };
}

/**
 * The SQL narrowing of a pattern: equality for a pattern without wildcards, else `LIKE` on the
 * levels before the first one. LIKE ignores ASCII case, which only widens the candidates.
 */
export function subjectFilter(p: CompiledPattern): { sql: string; arg: string } {
  const wild = p.levels.indexOf('*');
  if (wild === -1 && !p.rest) return { sql: 'subject = ?', arg: p.levels.join('.') };
  const literal = wild === -1 ? p.levels : p.levels.slice(0, wild);
  const prefix = `${literal.join('.')}.`.replace(/[\\%_]/g, '\\$&');
  return { sql: "subject LIKE ? ESCAPE '\\'", arg: `${prefix}%` };
}

/** An `events` row as D1 returns it. */
export interface EventRow {
  id: string;
  type: string;
  subject: string;
  ts: number;
  correlation_id: string | null;
  data: string;
}

/** One page of events, full unless the log ends or the scan budget runs out. */
export async function queryEvents(d1: D1Database, q: EventQuery): Promise<EventPage> {
  const subject = subjectFilter(q.pattern);
  const where = ['org_id = ?', subject.sql];
  const args: (string | number)[] = [q.orgId, subject.arg];
  const filters: [string, string | number | undefined][] = [
    ['ts >= ?', q.from],
    ['ts < ?', q.to],
    ['correlation_id = ?', q.correlationId],
    ['type = ?', q.type],
  ];
  for (const [clause, value] of filters) {
    if (value === undefined) continue;
    where.push(clause);
    args.push(value);
  }
  const sql = `SELECT id, type, subject, ts, correlation_id, data FROM events
    WHERE ${where.join(' AND ')} AND (ts, id) > (?, ?) ORDER BY ts, id LIMIT ?`;

  const events: StreamEvent[] = [];
  let position: Position = q.after ?? { ts: -1, id: '' };
  let scanned = 0;
  while (scanned < SCAN_BUDGET) {
    const { results } = await d1
      .prepare(sql)
      .bind(...args, position.ts, position.id, CHUNK)
      .all<EventRow>();
    for (const row of results) {
      scanned++;
      if (matches(q.pattern, row.subject)) {
        // One match past the page proves there is more, so the last page ends with a null cursor.
        if (events.length === q.limit) return { events, nextCursor: encodeCursor(events[q.limit - 1]!) };
        events.push(toEvent(row));
      }
      position = { ts: row.ts, id: row.id };
    }
    if (results.length < CHUNK) return { events, nextCursor: null };
  }
  return { events, nextCursor: encodeCursor(position) };
}

/** The wire shape of an `events` row. */
export function toEvent(row: EventRow): StreamEvent {
  return {
    id: row.id,
    type: row.type,
    subject: row.subject,
    ts: row.ts,
    correlationId: row.correlation_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
