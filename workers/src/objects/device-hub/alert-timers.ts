import { absent, tick } from '../../services/alerts/engine/evaluate.ts';
import { offlineAfterMs } from '../../services/alerts/engine/replay.ts';
import { engineRule, watchesSeries, type ActiveRule } from '../../services/alerts/rules.ts';
import type { AlertRuleCache } from './alert-rules.ts';
import type { AlertRun } from './alert-run.ts';
import { stateKey, type HubState } from './alert-store.ts';
import { getSeen } from './store.ts';

/** The alarm's evaluations: time passing for threshold and rate states, and absence. */

/** `for` and keep-firing-for running out, for every threshold and rate state the hub holds. */
export function passTime(run: AlertRun, states: ReadonlyMap<string, HubState>, rules: AlertRuleCache): void {
  for (const key of states.keys()) {
    const [ruleId, seriesId] = key.split('\u0000') as [string, string];
    const rule = rules.rule(ruleId);
    if (!rule || (rule.condition.kind !== 'threshold' && rule.condition.kind !== 'rate')) continue;
    const before = run.get(key, rule);
    const ref = { seriesId, metric: before.incident?.metric ?? rule.metric, labels: before.incident?.labels ?? {} };
    run.apply(key, rule, ref, before, tick(engineRule(rule, ref.metric), before.engine, run.ctx.now));
  }
}

/**
 * No data, for every series of the device a no-data rule watches (from its last sample, kept in
 * the series table), and offline, from the device's last batch.
 */
export function checkAbsence(run: AlertRun, sql: SqlStorage, rules: AlertRuleCache): void {
  const now = run.ctx.now;
  const noData = rules.ofKind('no_data');
  if (noData.length > 0) {
    const series = sql
      .exec<{ series_id: string; metric: string; labels: string; last_ts: number | null }>(
        'SELECT series_id, metric, labels, last_ts FROM series',
      )
      .toArray();
    for (const s of series) {
      const labels = JSON.parse(s.labels) as Record<string, string>;
      for (const rule of noData) {
        if (!watchesSeries(rule, s.metric, labels) || rule.condition.kind !== 'no_data') continue;
        const key = stateKey(rule.id, s.series_id);
        const before = run.get(key, rule);
        const absence = { lastSeen: s.last_ts, afterMs: rule.condition.afterMs };
        const step = absent(engineRule(rule, s.metric), before.engine, now, s.last_ts, absence.afterMs);
        run.apply(key, rule, { seriesId: s.series_id, metric: s.metric, labels }, before, step, absence);
      }
    }
  }
  const lastSeen = getSeen(sql)?.lastSeenAt ?? null;
  const afterOf = offlineAfter(sql);
  for (const rule of rules.ofKind('offline')) {
    const key = stateKey(rule.id, '');
    const before = run.get(key, rule);
    const absence = { lastSeen, afterMs: afterOf(rule) };
    const step = absent(engineRule(rule, null), before.engine, now, lastSeen, absence.afterMs);
    run.apply(key, rule, { seriesId: '', metric: null, labels: {} }, before, step, absence);
  }
}

/**
 * An offline rule's silence: as given, else twice the interval observed over the device's last
 * batches (their arrival times are kept for deduplication; read once, and only if a rule needs it).
 */
export function offlineAfter(sql: SqlStorage): (rule: ActiveRule) => number {
  let observed: number | undefined;
  return (rule) => {
    if (rule.condition.kind === 'offline' && rule.condition.afterMs !== undefined) return rule.condition.afterMs;
    observed ??= offlineAfterMs(
      undefined,
      sql
        .exec<{ received_at: number }>('SELECT received_at FROM batches ORDER BY received_at DESC LIMIT 9')
        .toArray()
        .map((r) => r.received_at),
    );
    return observed;
  };
}
