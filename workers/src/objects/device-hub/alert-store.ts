import type { AlertSeverity } from '../../../../schema/wire/alerts.ts';
import type { SeriesState } from '../../services/alerts/engine/types.ts';
import type { IncidentSnapshot } from '../../services/alerts/incident-record.ts';
import type { TransitionKind } from '../../services/alerts/engine/types.ts';
import type { AlertTransition } from '../../../../schema/wire/alerts.ts';
import { lazyTable } from './lazy-tables.ts';

/**
 * The DeviceHub's alert tables: the state of each (rule, series) and an outbox of what still has
 * to reach D1, the event log and the queue. Both are written in the transaction of the batch (or
 * alarm run) that caused them, so an evicted object loses nothing and a failed D1 or queue write
 * is retried by the alarm.
 */
const alertState = lazyTable(
  'alert_state',
  '(rule_id TEXT NOT NULL, series_id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (rule_id, series_id)) WITHOUT ROWID',
);
// seq orders the items: a new rowid is one past the largest, so new items sort after those still waiting.
const alertOutbox = lazyTable(
  'alert_outbox',
  '(seq INTEGER PRIMARY KEY, item TEXT NOT NULL, stage INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0)',
);

/** The episode a (rule, series) has open, as its incident row records it. */
export interface OpenIncident {
  id: string;
  startedAt: number;
  firedAt: number | null;
  peak: AlertSeverity;
  /** Wall-clock time of the last notification queued (first or repeat). */
  lastNotifiedAt: number | null;
  metric: string | null;
  labels: Record<string, string>;
  siteId: string | null;
  tags: string[];
}

/** What the hub keeps per (rule, series): the engine's state, the rule's fingerprint, the incident. */
export interface HubState {
  engine: SeriesState;
  fp: string;
  incident: OpenIncident | null;
}

/** The key of a (rule, series) in memory; '' is the device itself (offline rules). */
export const stateKey = (ruleId: string, seriesId: string) => `${ruleId}\u0000${seriesId}`;
const splitKey = (key: string) => key.split('\u0000') as [string, string];

export function loadStates(sql: SqlStorage): Map<string, HubState> {
  const states = new Map<string, HubState>();
  if (!alertState.exists(sql)) return states;
  for (const row of sql.exec<{ rule_id: string; series_id: string; state: string }>('SELECT * FROM alert_state')) {
    states.set(stateKey(row.rule_id, row.series_id), JSON.parse(row.state) as HubState);
  }
  return states;
}

/** Writes changed states (one statement each for upserts and deletes, whatever their number). */
export function saveStates(sql: SqlStorage, changes: ReadonlyMap<string, HubState | null>): void {
  const upserts: [string, string, string][] = [];
  const deletes: [string, string][] = [];
  for (const [key, state] of changes) {
    const [rule, series] = splitKey(key);
    if (state) upserts.push([rule, series, JSON.stringify(state)]);
    else deletes.push([rule, series]);
  }
  if (upserts.length > 0) {
    alertState.ensure(sql);
    sql.exec(
      `INSERT INTO alert_state (rule_id, series_id, state)
       SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
       ON CONFLICT (rule_id, series_id) DO UPDATE SET state = excluded.state`,
      JSON.stringify(upserts),
    );
  }
  if (deletes.length > 0 && alertState.exists(sql)) {
    sql.exec(
      'DELETE FROM alert_state WHERE (rule_id, series_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))',
      JSON.stringify(deletes),
    );
  }
}

/** A transition on its way out: the incident as of it, its event, and the notification if any. */
export interface TransitionItem {
  type: 'transition';
  eventId: string;
  incident: IncidentSnapshot;
  transition: TransitionKind;
  notify: AlertTransition | null;
  neverFired?: boolean;
  reason?: string;
  /** Written only if D1 still has the incident open (a rule's change may have resolved it already). */
  onlyIfOpen?: boolean;
}

/** A repeat notification of a still-firing incident, sent unless it was acknowledged meanwhile. */
export interface RepeatItem {
  type: 'repeat';
  orgId: string;
  incidentId: string;
  at: number;
}

export type OutboxItem = TransitionItem | RepeatItem;

export interface OutboxRow {
  seq: number;
  item: OutboxItem;
  stage: number;
  attempts: number;
}

export function addToOutbox(sql: SqlStorage, items: readonly OutboxItem[]): void {
  if (items.length === 0) return;
  alertOutbox.ensure(sql);
  sql.exec(
    'INSERT INTO alert_outbox (item) SELECT value FROM json_each(?)',
    JSON.stringify(items.map((i) => JSON.stringify(i))),
  );
}

export function outboxHead(sql: SqlStorage, limit: number): OutboxRow[] {
  if (!alertOutbox.exists(sql)) return [];
  return sql
    .exec<{ seq: number; item: string; stage: number; attempts: number }>(
      'SELECT seq, item, stage, attempts FROM alert_outbox ORDER BY seq LIMIT ?',
      limit,
    )
    .toArray()
    .map((r) => ({ seq: r.seq, item: JSON.parse(r.item) as OutboxItem, stage: r.stage, attempts: r.attempts }));
}

export const setOutboxStage = (sql: SqlStorage, seq: number, stage: number) =>
  sql.exec('UPDATE alert_outbox SET stage = ? WHERE seq = ?', stage, seq);
export const countOutboxAttempt = (sql: SqlStorage, seq: number) =>
  sql.exec('UPDATE alert_outbox SET attempts = attempts + 1 WHERE seq = ?', seq);
export const removeFromOutbox = (sql: SqlStorage, seq: number) =>
  sql.exec('DELETE FROM alert_outbox WHERE seq = ?', seq);

/** Attempts of the oldest item, or null when the outbox is empty. */
export function outboxBacklog(sql: SqlStorage): number | null {
  if (!alertOutbox.exists(sql)) return null;
  return (
    sql.exec<{ attempts: number }>('SELECT attempts FROM alert_outbox ORDER BY seq LIMIT 1').toArray()[0]?.attempts ??
    null
  );
}

/** The outbox's items as stored, oldest first (to carry them across a wipe of the object). */
export const outboxItems = (sql: SqlStorage): string[] =>
  alertOutbox.exists(sql)
    ? sql
        .exec<{ item: string }>('SELECT item FROM alert_outbox ORDER BY seq')
        .toArray()
        .map((r) => r.item)
    : [];

export function restoreOutbox(sql: SqlStorage, items: readonly string[]): void {
  if (items.length === 0) return;
  alertOutbox.ensure(sql);
  sql.exec('INSERT INTO alert_outbox (item) SELECT value FROM json_each(?)', JSON.stringify(items));
}
