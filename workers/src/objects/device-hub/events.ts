import type { IngestBatch } from '../../../../schema/wire/ingest.ts';
import { newId } from '../../services/credentials/crypto.ts';
import { recordEvent } from '../../services/events/record.ts';
import { log } from '../../services/log.ts';
import { deviceEventSubject } from '../../services/streams/subjects.ts';
import { getMeta, setMeta } from './store.ts';

/**
 * The DeviceHub's device events on the batch path: `device.online` when a batch ends a silence
 * longer than the online window (or is the first), `device.offline` from the alarm once the
 * window passes without a batch, and `agent.started` when a batch names a new agent start.
 *
 * Detection is a few reads of the object's own SQLite, made in the batch's transaction. An
 * event found is written to a local outbox in that same transaction, then moved to D1
 * (`recordEvent`); the alarm retries what is left, and the fixed event id makes a retry
 * idempotent. So no D1 query happens on a batch unless an event fires, and none is lost.
 */

/** Meta key of the presence state. */
const PRESENCE_KEY = 'presence';
/** Meta key the MQTT side keeps while a session is attached (see mqtt.ts). */
const MQTT_SESSION_KEY = 'mqttSession';

interface Presence {
  /** True between a recorded `device.online` and its `device.offline`. */
  online: boolean;
  /** `agent.startedAt` of the last batch that carried one. */
  agentStartedAt: number | null;
}

type OutboxRow = { seq: number; id: string; type: string; ts: number; correlation_id: string | null; data: string };

export function createEventTables(sql: SqlStorage): void {
  // The rowid orders the outbox; rows are taken and deleted by it, so `id` needs no index of its own.
  sql.exec(`CREATE TABLE IF NOT EXISTS event_outbox (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL, correlation_id TEXT, data TEXT NOT NULL
  )`);
}

function queue(sql: SqlStorage, type: string, ts: number, correlationId: string | null, data: object): void {
  sql.exec(
    'INSERT INTO event_outbox (id, type, ts, correlation_id, data) VALUES (?, ?, ?, ?, ?)',
    newId('evt'),
    type,
    ts,
    correlationId,
    JSON.stringify(data),
  );
}

const presence = (sql: SqlStorage): Presence =>
  getMeta<Presence>(sql, PRESENCE_KEY) ?? { online: false, agentStartedAt: null };

/**
 * Queues the events a stored batch causes; call inside the batch's transaction, before
 * last-seen moves to `now`. Returns whether any was queued. While an MQTT session is
 * attached, that session reports online and offline, so only `agent.started` is looked for.
 */
export function detectBatchEvents(
  sql: SqlStorage,
  batch: Pick<IngestBatch, 'batchId' | 'agent'>,
  now: number,
  previousSeenAt: number | null,
  windowMs: number,
): boolean {
  const state = presence(sql);
  const wasOnline = state.online;
  let queued = 0;
  const add = (type: string, ts: number, data: object) => {
    queue(sql, type, ts, batch.batchId, data);
    queued++;
  };
  if (getMeta<string>(sql, MQTT_SESSION_KEY)) {
    state.online = false;
  } else if (!state.online || previousSeenAt === null || now - previousSeenAt > windowMs) {
    // An alarm that had not run yet owes the offline that ended the last online period.
    if (state.online && previousSeenAt !== null) {
      add('device.offline', Math.min(now - 1, previousSeenAt + windowMs + 1), offlineData(previousSeenAt, windowMs));
    }
    add('device.online', now, { transport: 'https', lastSeenAt: previousSeenAt });
    state.online = true;
  }
  const startedAt = batch.agent?.startedAt;
  if (startedAt !== undefined && startedAt !== state.agentStartedAt) {
    add('agent.started', now, {
      version: batch.agent?.version ?? null,
      hostname: batch.agent?.hostname ?? null,
      startedAt,
      previousStartedAt: state.agentStartedAt,
    });
    state.agentStartedAt = startedAt;
  }
  // The common batch changes nothing and writes nothing.
  if (queued > 0 || state.online !== wasOnline) setMeta(sql, PRESENCE_KEY, state);
  return queued > 0;
}

/**
 * Queues `device.offline` when the device is online and its last batch is older than the
 * window. Safe to call from every alarm run: it fires once per online period.
 */
export function detectOffline(sql: SqlStorage, now: number, lastSeenAt: number | null, windowMs: number): void {
  const state = presence(sql);
  if (!state.online || lastSeenAt === null || now - lastSeenAt <= windowMs) return;
  // The attached MQTT session owns the device's presence now, and reports its end itself.
  if (getMeta<string>(sql, MQTT_SESSION_KEY)) return setMeta(sql, PRESENCE_KEY, { ...state, online: false });
  queue(sql, 'device.offline', now, null, offlineData(lastSeenAt, windowMs));
  setMeta(sql, PRESENCE_KEY, { ...state, online: false });
}

const offlineData = (lastSeenAt: number, windowMs: number) => ({
  transport: 'https',
  reason: 'no_data',
  lastSeenAt,
  windowSeconds: windowMs / 1000,
});

/** When the alarm must next look for an offline device, or null when the device is not online. */
export function offlineCheckAt(sql: SqlStorage, lastSeenAt: number | null, windowMs: number): number | null {
  return presence(sql).online && lastSeenAt !== null ? lastSeenAt + windowMs + 1 : null;
}

export function hasPendingEvents(sql: SqlStorage): boolean {
  return sql.exec('SELECT 1 FROM event_outbox LIMIT 1').toArray().length > 0;
}

/**
 * Moves queued events to the log (D1, then the org's channel), oldest first. Stops at the first
 * failure and leaves the rest for the alarm. Never throws.
 */
export async function deliverEvents(
  env: Env,
  sql: SqlStorage,
  device: { orgId: string; siteId: string | null; deviceId: string },
): Promise<void> {
  const rows = sql
    .exec<OutboxRow>(
      'SELECT rowid AS seq, id, type, ts, correlation_id, data FROM event_outbox ORDER BY rowid LIMIT 100',
    )
    .toArray();
  for (const row of rows) {
    try {
      await recordEvent(env, {
        id: row.id,
        orgId: device.orgId,
        type: row.type,
        subject: deviceEventSubject(device.orgId, device.siteId, device.deviceId, row.type),
        correlationId: row.correlation_id,
        data: JSON.parse(row.data) as Record<string, unknown>,
        ts: row.ts,
      });
    } catch (err) {
      log.warn('device event not recorded yet', { deviceId: device.deviceId, type: row.type, error: String(err) });
      return;
    }
    sql.exec('DELETE FROM event_outbox WHERE rowid = ?', row.seq);
  }
}
