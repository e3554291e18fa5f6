import { arrive, observe, type Point } from '../../services/alerts/engine/evaluate.ts';
import { engineRule } from '../../services/alerts/rules.ts';
import { log } from '../../services/log.ts';
import { retryDelay, deliverAlerts } from './alert-deliver.ts';
import { AlertRuleCache, type RuleSet } from './alert-rules.ts';
import { AlertRun } from './alert-run.ts';
import { checkAbsence, offlineAfter, passTime } from './alert-timers.ts';
import {
  addToOutbox,
  outboxItems,
  restoreOutbox,
  loadStates,
  outboxBacklog,
  saveStates,
  stateKey,
  type HubState,
} from './alert-store.ts';
import type { CompactBatch } from '../../services/ingest/compact.ts';
import type { DeviceIdentity } from './identity.ts';
import type { SeriesRow } from './store.ts';

/** The alarm never comes back sooner than this, whatever is overdue: no busy loop on a clock skew. */
const MIN_ALARM_GAP_MS = 250;

export interface HubAlertsDeps {
  env: Env;
  sql: SqlStorage;
  /** Runs `fn` in one SQLite transaction. */
  transact: <T>(fn: () => T) => T;
  /** Makes sure the object's alarm runs by `at`. */
  arm: (at: number) => Promise<void>;
}

/**
 * Alert evaluation in the DeviceHub (the engine is services/alerts/engine). A batch is evaluated
 * in its own transaction against rules cached in memory; absence, `for`, keep-firing-for and
 * repeats run from the object's alarm. States live in the object's SQLite, transitions leave
 * through an outbox (alert-deliver.ts).
 */
export class HubAlerts {
  private readonly rules: AlertRuleCache;
  private states: Map<string, HubState> | undefined;
  private delivering: Promise<void> | undefined;
  private identity: DeviceIdentity | undefined;

  private readonly deps: HubAlertsDeps;

  constructor(deps: HubAlertsDeps) {
    this.deps = deps;
    this.rules = new AlertRuleCache(deps.env, deps.sql, (set) => this.reconcile(set));
  }

  /** Before a batch's transaction: makes the rules available (D1 only when none are known yet). */
  async prepare(identity: DeviceIdentity, now: number): Promise<void> {
    this.identity = identity;
    await this.rules.ensure(identity, now);
  }

  /**
   * In the batch's transaction, after its samples are stored. Null when no rule covers the device.
   * A failure is logged, never thrown: a fault in alerting must not refuse a device's data.
   */
  evaluateBatch(
    identity: DeviceIdentity,
    batch: CompactBatch,
    rows: readonly SeriesRow[],
    now: number,
  ): AlertRun | null {
    try {
      return this.evaluate(identity, batch, rows, now);
    } catch (err) {
      log.error('alert evaluation failed; the batch is stored unevaluated', {
        deviceId: identity.deviceId,
        error: String(err),
      });
      return null;
    }
  }

  /** Right after the batch's transaction committed, with no await between: memory follows storage. */
  committed(run: AlertRun | null): void {
    if (run) this.adopt(run);
  }

  private evaluate(
    identity: DeviceIdentity,
    batch: CompactBatch,
    rows: readonly SeriesRow[],
    now: number,
  ): AlertRun | null {
    const set = this.rules.current();
    if (!set || set.rules.length === 0) return null;
    const run = this.run(identity, set, now);
    // Points are gathered only for the series some rule watches.
    const watched = batch.series.map((s, i) => {
      const labels = s.labels ?? {};
      const watching = this.rules.forSeries(rows[i]!.seriesId, s.metric, labels);
      return watching.length === 0 ? null : { metric: s.metric, labels, watching, points: [] as Point[] };
    });
    for (let i = 0; i < batch.ts.length; i++) {
      watched[batch.seriesIndex[i]!]?.points.push({ ts: batch.ts[i]!, value: batch.values[i]! });
    }
    for (const [i, g] of watched.entries()) {
      if (!g) continue;
      const seriesId = rows[i]!.seriesId;
      const watching = g.watching;
      g.points.sort((a, b) => a.ts - b.ts);
      const ref = { seriesId, metric: g.metric, labels: g.labels };
      for (const rule of watching) {
        const key = stateKey(rule.id, seriesId);
        const before = run.get(key, rule);
        const er = engineRule(rule, g.metric);
        if (rule.condition.kind === 'no_data') {
          const last = g.points.at(-1)!.ts;
          const absence = { lastSeen: last, afterMs: rule.condition.afterMs };
          run.apply(key, rule, ref, before, arrive(er, before.engine, last), absence);
        } else {
          run.apply(key, rule, ref, before, observe(er, before.engine, g.points));
        }
      }
    }
    const afterOf = offlineAfter(this.deps.sql);
    for (const rule of this.rules.ofKind('offline')) {
      const key = stateKey(rule.id, '');
      const before = run.get(key, rule);
      const absence = { lastSeen: now, afterMs: afterOf(rule) };
      run.apply(
        key,
        rule,
        { seriesId: '', metric: null, labels: {} },
        before,
        arrive(engineRule(rule, null), before.engine, now),
        absence,
      );
    }
    this.store(run);
    return run;
  }

  /** After the batch's transaction and {@link committed}: arms the alarm, sends transitions out. */
  async afterBatch(identity: DeviceIdentity, run: AlertRun | null): Promise<void> {
    if (!run) return;
    if (run.due < Infinity) await this.deps.arm(run.due);
    // Like device events, only a batch that changed an alert waits on D1 and the queue; the alarm retries failures.
    if (run.items.length > 0) await this.deliver(identity);
  }

  /** The alarm's part: time passing, absence, repeats, and retries of the outbox. Returns when it is next needed. */
  async alarm(identity: DeviceIdentity, now: number): Promise<number> {
    await this.prepare(identity, now);
    const set = this.rules.current();
    let due = Infinity;
    if (set && (set.rules.length > 0 || this.loaded().size > 0)) {
      const run = this.run(identity, set, now);
      this.deps.transact(() => {
        passTime(run, this.loaded(), this.rules);
        checkAbsence(run, this.deps.sql, this.rules);
        for (const key of this.loaded().keys()) {
          const rule = this.rules.rule(key.split('\u0000')[0]!);
          if (rule) run.repeat(key, rule, run.get(key, rule));
        }
        this.store(run);
      });
      this.adopt(run);
      due = run.due;
    }
    await this.deliver(identity);
    const backlog = outboxBacklog(this.deps.sql);
    if (backlog !== null) due = Math.min(due, Date.now() + retryDelay(backlog + 1));
    return due === Infinity ? Infinity : Math.max(due, now + MIN_ALARM_GAP_MS);
  }

  /** A rule covering this device may have changed: reload now, reconcile, and let the alarm look soon. */
  async rulesChanged(identity: DeviceIdentity): Promise<void> {
    this.identity = identity;
    await this.rules.reload(identity);
    await this.deps.arm(Date.now() + MIN_ALARM_GAP_MS);
  }

  /** Sends what the outbox holds; one delivery at a time, so no item goes out twice. */
  deliver(identity: DeviceIdentity): Promise<void> {
    this.delivering ??= (async () => {
      try {
        await deliverAlerts(this.deps.env, this.deps.sql, {
          siteId: this.rules.current()?.device.siteId ?? identity.siteId,
        });
      } finally {
        this.delivering = undefined;
      }
    })();
    return this.delivering;
  }

  /**
   * Ends the states of one series (`seriesId`), or of all (null), resolving their open incidents:
   * the series or the device's data was deleted. Returns the outbox as it then stands.
   */
  close(identity: DeviceIdentity, seriesId: string | null, reason: string): string[] {
    const set = this.rules.current() ?? { loadedAt: 0, device: { siteId: identity.siteId, tags: [] }, rules: [] };
    const run = this.run(identity, set, Date.now());
    for (const [key, st] of this.loaded()) {
      const [ruleId, series] = key.split('\u0000') as [string, string];
      if (seriesId === null || series === seriesId) run.drop(key, series, st, this.rules.rule(ruleId), ruleId, reason);
    }
    this.deps.transact(() => this.store(run));
    this.adopt(run);
    return outboxItems(this.deps.sql);
  }

  /** The object's storage was wiped: forget rules and states, keeping the outbox `items` still to send. */
  reset(items: readonly string[]): void {
    restoreOutbox(this.deps.sql, items);
    this.rules.clear();
    this.states = undefined;
  }

  /** A new rule set replaced the old: states of rules that left it, or whose definition changed, end. */
  private reconcile(set: RuleSet): void {
    const identity = this.identity;
    if (!identity) return;
    const run = this.run(identity, set, Date.now());
    for (const [key, st] of this.loaded()) {
      const [ruleId, seriesId] = key.split('\u0000') as [string, string];
      const rule = this.rules.rule(ruleId);
      if (!rule || rule.fp !== st.fp)
        run.drop(key, seriesId, st, rule, ruleId, rule ? 'rule_changed' : 'rule_no_longer_applies');
    }
    if (run.changes.size === 0) return;
    this.deps.transact(() => this.store(run));
    this.adopt(run);
  }

  private run(identity: DeviceIdentity, set: RuleSet, now: number): AlertRun {
    return new AlertRun(this.loaded(), { orgId: identity.orgId, deviceId: identity.deviceId, device: set.device, now });
  }

  private store(run: AlertRun): void {
    saveStates(this.deps.sql, run.changes);
    addToOutbox(this.deps.sql, run.items);
  }

  private adopt(run: AlertRun): void {
    const states = this.loaded();
    for (const [key, st] of run.changes) {
      if (st) states.set(key, st);
      else states.delete(key);
    }
  }

  private loaded(): Map<string, HubState> {
    this.states ??= loadStates(this.deps.sql);
    return this.states;
  }
}
