import { and, eq, gt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { SilenceMatcher, SilenceView } from '../../../../schema/wire/alerts.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError, badRequest } from '../../errors.ts';
import { auditInsert } from '../audit/record.ts';
import { newId } from '../credentials/crypto.ts';
import { changedGuard, failedGuard } from '../members/guard.ts';
import { type CreateSilenceBody, SILENCE_MAX_MS } from './silence-schemas.ts';
import { silenceNotFound, silenceRow } from './silences.ts';
import { type SilenceRow, silenceState, silenceView } from './views.ts';

export const silenceExpired = (id: string) => new ApiError(409, 'silence_expired', `silence "${id}" has already ended`);

const invalid = (field: string, message: string) => badRequest('invalid_input', `${field}: ${message}`, field);

/** The window's rules JSON Schema cannot state: after its start, not over, at most 90 days. */
function checkWindow(startsAt: number, endsAt: number, now: number): void {
  if (endsAt <= startsAt) throw invalid('endsAt', 'endsAt must be after startsAt');
  if (endsAt <= now) throw invalid('endsAt', 'endsAt must be in the future');
  if (endsAt - startsAt > SILENCE_MAX_MS) throw invalid('endsAt', 'a silence may last at most 90 days');
}

/** Refuses a matcher naming a rule, device or site the org does not have, with a 400 naming the matcher. */
async function checkMatchers(d1: D1Database, orgId: string, matchers: readonly SilenceMatcher[]): Promise<void> {
  if (!matchers.some((m) => m.field === 'rule' || m.field === 'device' || m.field === 'site')) return;
  const d = db(d1);
  const { alertRules: r, devices: dv, sites: st } = schema;
  // One JSON parameter per kind, expanded by json_each: one round trip for all 20 matchers.
  const ids = (field: SilenceMatcher['field']) =>
    sql`(SELECT value FROM json_each(${JSON.stringify(matchers.filter((m) => m.field === field).map((m) => m.value))}))`;
  const [rules, devices, sites] = await d.batch([
    d
      .select({ id: r.id })
      .from(r)
      .where(and(eq(r.orgId, orgId), sql`${r.id} IN ${ids('rule')}`)),
    d
      .select({ id: dv.id })
      .from(dv)
      .where(and(eq(dv.orgId, orgId), sql`${dv.id} IN ${ids('device')}`)),
    d
      .select({ id: st.id })
      .from(st)
      .where(and(eq(st.orgId, orgId), sql`${st.id} IN ${ids('site')}`)),
  ]);
  const known = {
    rule: new Set(rules.map((x) => x.id)),
    device: new Set(devices.map((x) => x.id)),
    site: new Set(sites.map((x) => x.id)),
  };
  const index = matchers.findIndex(
    (m) => (m.field === 'rule' || m.field === 'device' || m.field === 'site') && !known[m.field].has(m.value),
  );
  const missing = matchers[index];
  if (missing) throw invalid(`matchers.${index}.value`, `no ${missing.field} "${missing.value}" in this organisation`);
}

/** Creates a silence for the caller, with its audit row in the same D1 batch. */
export async function createSilence(c: Context<AppEnv>, body: CreateSilenceBody): Promise<SilenceView> {
  const { orgId, via, userId } = c.var.caller;
  const now = Date.now();
  const startsAt = body.startsAt ?? now;
  checkWindow(startsAt, body.endsAt, now);
  await checkMatchers(c.env.DB, orgId, body.matchers);
  const row: SilenceRow = {
    id: newId('sil'),
    orgId,
    matchers: body.matchers,
    startsAt,
    endsAt: body.endsAt,
    comment: body.comment ?? null,
    createdBy: via === 'session' ? userId : null,
    createdAt: now,
  };
  const d = db(c.env.DB);
  await d.batch([
    d.insert(schema.silences).values(row),
    auditInsert(c, {
      targetType: 'silence',
      targetId: row.id,
      after: { matchers: row.matchers, startsAt, endsAt: row.endsAt, comment: row.comment },
    }),
  ]);
  return silenceView(row, now);
}

/**
 * Ends a silence now, keeping its row: `endsAt` becomes now (and a silence not yet started
 * starts now too, so its window stays ordered). 409 when it has already ended.
 */
export async function endSilence(c: Context<AppEnv>, id: string): Promise<SilenceView> {
  const { orgId } = c.var.caller;
  const d = db(c.env.DB);
  const row = await silenceRow(d, orgId, id);
  if (!row) throw silenceNotFound(id);
  const now = Date.now();
  if (silenceState(row, now) === 'expired') throw silenceExpired(id);
  const s = schema.silences;
  const ended: SilenceRow = { ...row, startsAt: Math.min(row.startsAt, now), endsAt: now };
  try {
    await d.batch([
      d
        .update(s)
        .set({ startsAt: ended.startsAt, endsAt: now })
        .where(and(eq(s.id, id), eq(s.orgId, orgId), gt(s.endsAt, now))),
      // Two requests ending it at once: the second changes nothing and is told it has ended.
      changedGuard(d, orgId),
      auditInsert(c, {
        targetType: 'silence',
        targetId: id,
        before: { startsAt: row.startsAt, endsAt: row.endsAt },
        after: { startsAt: ended.startsAt, endsAt: now },
      }),
    ]);
  } catch (err) {
    if (failedGuard(err)) throw silenceExpired(id);
    throw err;
  }
  return silenceView(ended, now);
}
