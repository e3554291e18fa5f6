import type { AlertScope } from '../../../../schema/wire/alerts.ts';
import { db } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { log } from '../log.ts';
import { mapLimit } from '../map-limit.ts';
import { devicesInScope } from './scope.ts';

/** DeviceHubs told before the request answers; the rest are told after it (`waitUntil`). */
const TOLD_AT_ONCE = 200;
/** Most devices one change reaches; the rules' TTL in the hubs covers the rest. */
const MAX_TOLD = 10_000;
const CONCURRENCY = 8;

/**
 * Tells the DeviceHubs of every device a rule covers now or covered before a change that its
 * rules changed, so they reload at once instead of at their cache's TTL. The first
 * {@link TOLD_AT_ONCE} are told before this resolves, so a caller's next batch is evaluated with
 * the new rule; a hub that cannot be reached is logged and catches up by TTL.
 */
export async function announceRuleChange(
  env: Env,
  orgId: string,
  scopes: readonly AlertScope[],
  waitUntil: (p: Promise<unknown>) => void,
): Promise<void> {
  const d = db(env.DB);
  const ids = new Set<string>();
  for (const scope of scopes) for (const id of await devicesInScope(d, orgId, scope, MAX_TOLD)) ids.add(id);
  const all = [...ids].slice(0, MAX_TOLD);
  const tell = (list: string[]) =>
    mapLimit(list, CONCURRENCY, (id) =>
      deviceHubFor(env, id)
        .rulesChanged()
        .catch((err: unknown) => log.warn('rule change not announced', { deviceId: id, error: String(err) })),
    );
  await tell(all.slice(0, TOLD_AT_ONCE));
  if (all.length > TOLD_AT_ONCE) waitUntil(tell(all.slice(TOLD_AT_ONCE)));
}
