import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';

/** What an enrollment token grants the device that uses it. */
export interface EnrollmentClaim {
  orgId: string;
  siteId: string | null;
  kind: 'host' | 'gateway';
}

/**
 * Uses one of a token's uses, in one statement so that a single-use token cannot enroll two
 * devices in a race. Null when the token is unknown, revoked, expired or used up.
 */
export async function claimEnrollmentToken(
  d1: D1Database,
  tokenHash: string,
  now: number,
): Promise<EnrollmentClaim | null> {
  const t = schema.enrollmentTokens;
  const claimed = await db(d1)
    .update(t)
    .set({ uses: sql`${t.uses} + 1` })
    .where(
      and(
        eq(t.tokenHash, tokenHash),
        isNull(t.revokedAt),
        gt(t.expiresAt, now),
        or(isNull(t.maxUses), lt(t.uses, t.maxUses)),
      ),
    )
    .returning({ orgId: t.orgId, siteId: t.siteId, kind: t.kind })
    .get();
  return claimed ?? null;
}
