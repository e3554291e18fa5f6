import type { AlertRuleBody } from '../../../../schema/wire/alerts.ts';
import { db } from '../../db.ts';
import { badRequest } from '../../errors.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { mapLimit } from '../map-limit.ts';
import type { TransitionKind } from './engine/types.ts';
import type { PreviewTransition } from './preview-types.ts';
import { devicesInScope } from './scope.ts';
import { checkRule } from './validate.ts';

/** Devices one preview reads, and raw samples per device; a preview past either says `truncated`. */
export const PREVIEW_MAX_DEVICES = 50;
const PREVIEW_MAX_SAMPLES = 200_000;
/** Transitions answered; the counts cover all of them. */
export const PREVIEW_MAX_TRANSITIONS = 1_000;

export interface PreviewAnswer {
  from: number;
  to: number;
  devices: number;
  series: number;
  samples: number;
  truncated: boolean;
  /** Per kind of transition, and `incidents`: the episodes opened (pending or straight to firing). */
  counts: Record<TransitionKind, number> & { incidents: number };
  transitions: (PreviewTransition & { deviceId: string })[];
}

/**
 * Runs a rule that is not stored over the last `hours` of raw history of the devices it would
 * cover (or of `deviceId`), each in its DeviceHub with the live engine, and answers what it would
 * have done: the transitions in time order and their counts.
 */
export async function previewRules(
  env: Env,
  orgId: string,
  body: AlertRuleBody & { deviceId?: string | undefined; hours: number },
  now = Date.now(),
): Promise<PreviewAnswer> {
  const d = db(env.DB);
  await checkRule(d, orgId, body);
  let ids = await devicesInScope(d, orgId, body.scope, body.deviceId ? 10_000 : PREVIEW_MAX_DEVICES);
  if (body.deviceId !== undefined) {
    if (!ids.includes(body.deviceId)) {
      throw badRequest('invalid_rule', `deviceId: the rule's scope covers no device "${body.deviceId}"`, 'deviceId');
    }
    ids = [body.deviceId];
  }
  let truncated = ids.length > PREVIEW_MAX_DEVICES;
  ids = ids.slice(0, PREVIEW_MAX_DEVICES);
  const from = now - body.hours * 3_600_000;
  const rule = {
    metric: body.metric ?? null,
    matchers: body.matchers,
    condition: body.condition,
    forMs: body.forMs,
    keepFiringForMs: body.keepFiringForMs,
  };
  const results = await mapLimit(ids, 4, (id) =>
    deviceHubFor(env, id).alertPreview({ rule, from, to: now, maxSamples: PREVIEW_MAX_SAMPLES }),
  );
  const transitions = results
    .flatMap((r, i) => r.transitions.map((t) => ({ ...t, deviceId: ids[i]! })))
    .sort((a, b) => a.at - b.at);
  const counts = { pending: 0, firing: 0, escalated: 0, deescalated: 0, resolved: 0, incidents: 0 };
  for (const t of transitions) {
    counts[t.transition]++;
    if (t.from === 'normal') counts.incidents++;
  }
  truncated ||= results.some((r) => r.truncated) || transitions.length > PREVIEW_MAX_TRANSITIONS;
  return {
    from,
    to: now,
    devices: ids.length,
    series: results.reduce((n, r) => n + r.series, 0),
    samples: results.reduce((n, r) => n + r.samples, 0),
    truncated,
    counts,
    transitions: transitions.slice(0, PREVIEW_MAX_TRANSITIONS),
  };
}
