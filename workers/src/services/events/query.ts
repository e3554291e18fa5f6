import { and, asc, eq, gt, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { StreamEvent } from '../../../../schema/wire/stream.ts';
import { db, schema } from '../../db.ts';
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
export function subjectFilter(p: CompiledPattern): SQL {
  const subject = schema.events.subject;
  const wild = p.levels.indexOf('*');
  if (wild === -1 && !p.rest) return eq(subject, p.levels.join('.'));
  const literal = wild === -1 ? p.levels : p.levels.slice(0, wild);
  const prefix = `${literal.join('.')}.`.replace(/[\\%_]/g, '\\$&');
  return sql`${subject} LIKE ${`${prefix}%`} ESCAPE '\\'`;
}

const e = schema.events;
/** The columns of an event, as the query builder returns them. */
const EVENT_COLUMNS = {
  id: e.id,
  type: e.type,
  subject: e.subject,
  ts: e.ts,
  correlationId: e.correlationId,
  data: e.data,
};

/** One page of events, full unless the log ends or the scan budget runs out. */
export async function queryEvents(d1: D1Database, q: EventQuery): Promise<EventPage> {
  const filters = and(
    eq(e.orgId, q.orgId),
    subjectFilter(q.pattern),
    q.from === undefined ? undefined : gte(e.ts, q.from),
    q.to === undefined ? undefined : lt(e.ts, q.to),
    q.correlationId === undefined ? undefined : eq(e.correlationId, q.correlationId),
    q.type === undefined ? undefined : eq(e.type, q.type),
  );
  const orm = db(d1);

  const events: StreamEvent[] = [];
  let position: Position = q.after ?? { ts: -1, id: '' };
  let scanned = 0;
  while (scanned < SCAN_BUDGET) {
    const results = await orm
      .select(EVENT_COLUMNS)
      .from(e)
      .where(and(filters, gt(sql`(${e.ts}, ${e.id})`, sql`(${position.ts}, ${position.id})`)))
      .orderBy(asc(e.ts), asc(e.id))
      .limit(CHUNK);
    for (const row of results) {
      scanned++;
      if (matches(q.pattern, row.subject)) {
        // One match past the page proves there is more, so the last page ends with a null cursor.
        if (events.length === q.limit) return { events, nextCursor: encodeCursor(events[q.limit - 1]!) };
        events.push(row);
      }
      position = { ts: row.ts, id: row.id };
    }
    if (results.length < CHUNK) return { events, nextCursor: null };
  }
  return { events, nextCursor: encodeCursor(position) };
}

/**
 * The org's events from `fromTs` in log order, at most `limit` of them (the stream's replay
 * reads one more than its bound to tell that there are too many).
 */
export async function eventsSince(
  d1: D1Database,
  orgId: string,
  fromTs: number,
  limit: number,
): Promise<StreamEvent[]> {
  return db(d1)
    .select(EVENT_COLUMNS)
    .from(e)
    .where(and(eq(e.orgId, orgId), gte(e.ts, fromTs)))
    .orderBy(asc(e.ts), asc(e.id))
    .limit(limit);
}
