import { and, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm';
import type { IncidentState } from '../../../../schema/tables/alerts.ts';
import type { IncidentView } from '../../../../schema/wire/alerts.ts';
import { type Db, db, schema } from '../../db.ts';
import { notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';
import type { IncidentListQuery } from './schemas.ts';
import { type IncidentRow, incidentView } from './views.ts';

const i = schema.incidents;
const s = schema.silences;

/** The org's silences in force at `now`: the windows `silenced` is computed against. */
export function activeSilencesQuery(d: Db, orgId: string, now: number) {
  return d
    .select({ matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt })
    .from(s)
    .where(and(eq(s.orgId, orgId), gt(s.endsAt, now), lte(s.startsAt, now)));
}

export const incidentNotFound = (id: string) => notFound(`incident "${id}"`);

/** An incident of the org, or undefined: another org's incident is indistinguishable from none. */
export function incidentRow(d: Db, orgId: string, id: string): Promise<IncidentRow | undefined> {
  return d
    .select()
    .from(i)
    .where(and(eq(i.id, id), eq(i.orgId, orgId)))
    .get();
}

/** One incident as the API answers it, with `silenced` at `now`; 404 when the org has none of that id. */
export async function getIncident(d1: D1Database, orgId: string, id: string, now = Date.now()): Promise<IncidentView> {
  const d = db(d1);
  const [rows, active] = await d.batch([
    d
      .select()
      .from(i)
      .where(and(eq(i.id, id), eq(i.orgId, orgId))),
    activeSilencesQuery(d, orgId, now),
  ]);
  const row = rows[0];
  if (!row) throw incidentNotFound(id);
  return incidentView(row, active, now);
}

/** A place in the list's newest-first (startedAt, id) order: the last incident of a page. */
type Position = [startedAt: number, id: string];
const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

/** The states a list shows when `state=` is absent: the open ones. */
const OPEN: readonly IncidentState[] = ['pending', 'firing'];

/**
 * One page of the org's incidents, newest first, filtered in SQL; the page and the active
 * silences are read in one D1 batch. `nextCursor` is null on the last page.
 */
export async function listIncidents(
  d1: D1Database,
  orgId: string,
  q: IncidentListQuery,
  now = Date.now(),
): Promise<{ incidents: IncidentView[]; nextCursor: string | null }> {
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition);
  const states = q.state ?? OPEN;
  const d = db(d1);
  const [rows, active] = await d.batch([
    d
      .select()
      .from(i)
      .where(
        and(
          eq(i.orgId, orgId),
          states.length === 3 ? undefined : inArray(i.state, states),
          q.severity === undefined ? undefined : eq(i.severity, q.severity),
          q.deviceId === undefined ? undefined : eq(i.deviceId, q.deviceId),
          q.ruleId === undefined ? undefined : eq(i.ruleId, q.ruleId),
          q.siteId === undefined ? undefined : eq(i.siteId, q.siteId),
          q.acknowledged === undefined
            ? undefined
            : q.acknowledged
              ? isNotNull(i.acknowledgedAt)
              : isNull(i.acknowledgedAt),
          q.from === undefined ? undefined : gte(i.startedAt, q.from),
          q.to === undefined ? undefined : lt(i.startedAt, q.to),
          after === undefined ? undefined : lt(sql`(${i.startedAt}, ${i.id})`, sql`(${after[0]}, ${after[1]})`),
        ),
      )
      .orderBy(desc(i.startedAt), desc(i.id))
      .limit(q.limit + 1),
    activeSilencesQuery(d, orgId, now),
  ]);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    incidents: page.map((r) => incidentView(r, active, now)),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.startedAt, last.id] satisfies Position) : null,
  };
}
