import { and, desc, eq, gt, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { SilenceView } from '../../../../schema/wire/alerts.ts';
import { type Db, db, schema } from '../../db.ts';
import { notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';
import type { SilenceListQuery } from './silence-schemas.ts';
import { type SilenceRow, silenceView } from './views.ts';

const s = schema.silences;

export const silenceNotFound = (id: string) => notFound(`silence "${id}"`);

/** A silence of the org, or undefined: another org's silence is indistinguishable from none. */
export function silenceRow(d: Db, orgId: string, id: string): Promise<SilenceRow | undefined> {
  return d
    .select()
    .from(s)
    .where(and(eq(s.id, id), eq(s.orgId, orgId)))
    .get();
}

export async function getSilence(d1: D1Database, orgId: string, id: string): Promise<SilenceView> {
  const row = await silenceRow(db(d1), orgId, id);
  if (!row) throw silenceNotFound(id);
  return silenceView(row, Date.now());
}

/** The SQL form of `silenceState` at `now`. */
function stateFilter(state: SilenceListQuery['state'], now: number): SQL | undefined {
  if (state === 'active') return and(lte(s.startsAt, now), gt(s.endsAt, now));
  if (state === 'pending') return gt(s.startsAt, now);
  if (state === 'expired') return lte(s.endsAt, now);
  return undefined;
}

/** A place in the list's newest-first (createdAt, id) order. */
type Position = [createdAt: number, id: string];
const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

/** One page of the org's silences in a state, newest first; `nextCursor` is null on the last page. */
export async function listSilences(
  d1: D1Database,
  orgId: string,
  q: SilenceListQuery,
): Promise<{ silences: SilenceView[]; nextCursor: string | null }> {
  const now = Date.now();
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition);
  const rows = await db(d1)
    .select()
    .from(s)
    .where(
      and(
        eq(s.orgId, orgId),
        stateFilter(q.state, now),
        after === undefined ? undefined : lt(sql`(${s.createdAt}, ${s.id})`, sql`(${after[0]}, ${after[1]})`),
      ),
    )
    .orderBy(desc(s.createdAt), desc(s.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    silences: page.map((r) => silenceView(r, now)),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.createdAt, last.id] satisfies Position) : null,
  };
}
