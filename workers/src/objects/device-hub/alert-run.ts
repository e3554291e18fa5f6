import type { AlertSeverity, AlertTransition } from '../../../../schema/wire/alerts.ts';
import { dueAt } from '../../services/alerts/engine/evaluate.ts';
import { initialState, isIdle, type Step, type Transition } from '../../services/alerts/engine/types.ts';
import { summarize, type IncidentSnapshot } from '../../services/alerts/incident-record.ts';
import { engineRule, type ActiveRule } from '../../services/alerts/rules.ts';
import { newId } from '../../services/credentials/crypto.ts';
import type { HubState, OpenIncident, OutboxItem } from './alert-store.ts';

/** Where a run happens: the device, its site and tags (for new incidents), and the wall clock. */
export interface RunContext {
  orgId: string;
  deviceId: string;
  device: { siteId: string | null; tags: string[] };
  now: number;
}

/** A series as incidents and summaries name it; '' and no metric for the device itself. */
export interface SeriesRef {
  seriesId: string;
  metric: string | null;
  labels: Record<string, string>;
}

/** For absence rules: when the series or device was last seen, and the silence that counts. */
export interface Absence {
  lastSeen: number | null;
  afterMs: number;
}

const worse = (a: AlertSeverity, b: AlertSeverity): AlertSeverity =>
  a === 'critical' || b === 'critical' ? 'critical' : 'warning';

const notificationOf = (t: Transition): AlertTransition | null => {
  if (t.kind === 'pending') return null;
  if (t.kind === 'resolved') return t.neverFired ? null : 'resolved';
  return t.kind;
};

/**
 * One evaluation pass (a batch, an alarm run, a change of rules): reads states through its own
 * changes, turns the engine's transitions into incident snapshots for the outbox, and collects
 * the state changes to store, all without touching the hub's memory until {@link HubAlerts}
 * applies it after the transaction committed.
 */
export class AlertRun {
  readonly changes = new Map<string, HubState | null>();
  readonly items: OutboxItem[] = [];
  /** The earliest time something of this run needs the alarm. */
  due = Infinity;

  private readonly states: ReadonlyMap<string, HubState>;
  readonly ctx: RunContext;

  constructor(states: ReadonlyMap<string, HubState>, ctx: RunContext) {
    this.states = states;
    this.ctx = ctx;
  }

  /** The state of a (rule, series): as this run left it, else as stored; fresh for a rule whose definition changed. */
  get(key: string, rule: ActiveRule): HubState {
    const changed = this.changes.get(key);
    const st = changed === undefined ? this.states.get(key) : changed;
    return st && st.fp === rule.fp ? st : { engine: initialState(), fp: rule.fp, incident: null };
  }

  /** Records what one engine step did to a (rule, series). */
  apply(key: string, rule: ActiveRule, series: SeriesRef, before: HubState, step: Step, absence?: Absence): void {
    // Most steps of an alarm change nothing: nothing to store then.
    if (step.transitions.length === 0 && step.state === before.engine)
      return this.dueOf(rule, before, series.metric, absence);
    let incident = before.incident ? { ...before.incident } : null;
    for (const t of step.transitions) {
      incident ??= {
        id: newId('inc'),
        startedAt: t.at,
        firedAt: null,
        peak: t.severity,
        lastNotifiedAt: null,
        metric: series.metric,
        labels: series.labels,
        siteId: this.ctx.device.siteId,
        tags: this.ctx.device.tags,
      };
      incident.peak = worse(incident.peak, t.severity);
      if (t.kind === 'firing') incident.firedAt ??= t.at;
      const notify = notificationOf(t);
      if (notify && notify !== 'resolved') incident.lastNotifiedAt = this.ctx.now;
      this.items.push({
        type: 'transition',
        eventId: newId('evt'),
        incident: this.snapshot(rule, series.seriesId, incident, t, absence),
        transition: t.kind,
        notify,
        ...(t.neverFired ? { neverFired: true } : {}),
      });
      if (t.kind === 'resolved') incident = null;
    }
    const next: HubState = { engine: step.state, fp: rule.fp, incident };
    if (isIdle(step.state) && !incident) {
      if (this.states.has(key) || this.changes.get(key)) this.changes.set(key, null);
    } else {
      this.changes.set(key, next);
    }
    this.dueOf(rule, next, series.metric, absence);
  }

  /** Queues a repeat notification when one is due for a still-firing incident. */
  repeat(key: string, rule: ActiveRule, st: HubState): void {
    const inc = st.incident;
    if (!inc || st.engine.phase !== 'firing' || rule.repeatIntervalMs === null || inc.lastNotifiedAt === null) return;
    const due = inc.lastNotifiedAt + rule.repeatIntervalMs;
    if (due > this.ctx.now) return this.at(due);
    this.items.push({ type: 'repeat', orgId: this.ctx.orgId, incidentId: inc.id, at: this.ctx.now });
    const next = { ...st, incident: { ...inc, lastNotifiedAt: this.ctx.now } };
    this.changes.set(key, next);
    this.at(this.ctx.now + rule.repeatIntervalMs);
  }

  /**
   * Ends a state whose rule is gone or changed, or whose series or data was deleted: its open
   * incident is resolved unless D1 already has it so (a rule's delete or change resolves them there).
   */
  drop(
    key: string,
    seriesId: string,
    st: HubState,
    rule: ActiveRule | undefined,
    ruleId: string,
    reason: string,
  ): void {
    this.changes.set(key, null);
    const inc = st.incident;
    if (!inc) return;
    const severity = st.engine.severity ?? inc.peak;
    this.items.push({
      type: 'transition',
      eventId: newId('evt'),
      incident: {
        ...this.base(inc, rule?.id ?? ruleId, rule?.name ?? ruleId, seriesId),
        state: 'resolved',
        severity,
        value: st.engine.value,
        threshold: null,
        summary: `Resolved: ${rule?.name ?? 'alert rule'} (${reason.replaceAll('_', ' ')})`,
        resolvedAt: this.ctx.now,
        at: this.ctx.now,
      },
      transition: 'resolved',
      notify: inc.firedAt !== null ? 'resolved' : null,
      reason,
      onlyIfOpen: true,
    });
  }

  at(time: number): void {
    if (time < this.due) this.due = time;
  }

  private dueOf(rule: ActiveRule, st: HubState, metric: string | null, absence?: Absence): void {
    const due = dueAt(engineRule(rule, metric), st.engine, absence?.lastSeen ?? null, absence?.afterMs ?? null);
    if (due !== null) this.at(due);
    if (st.incident?.lastNotifiedAt != null && rule.repeatIntervalMs !== null && st.engine.phase === 'firing') {
      this.at(st.incident.lastNotifiedAt + rule.repeatIntervalMs);
    }
  }

  private base(inc: OpenIncident, ruleId: string, ruleName: string, seriesId: string) {
    return {
      id: inc.id,
      orgId: this.ctx.orgId,
      ruleId,
      ruleName,
      deviceId: this.ctx.deviceId,
      siteId: inc.siteId,
      tags: inc.tags,
      seriesId,
      metric: inc.metric,
      labels: inc.labels,
      peakSeverity: inc.peak,
      startedAt: inc.startedAt,
      firedAt: inc.firedAt,
    };
  }

  private snapshot(
    rule: ActiveRule,
    seriesId: string,
    inc: OpenIncident,
    t: Transition,
    absence?: Absence,
  ): IncidentSnapshot {
    return {
      ...this.base(inc, rule.id, rule.name, seriesId),
      state: t.to === 'normal' ? 'resolved' : t.to,
      severity: t.severity,
      value: t.value,
      threshold: t.threshold,
      summary: `${t.kind === 'resolved' ? 'Resolved: ' : ''}${summarize(rule.name, rule.condition, inc, t.severity, t.value, absence?.afterMs ?? null)}`,
      resolvedAt: t.kind === 'resolved' ? t.at : null,
      at: t.at,
    };
  }
}
