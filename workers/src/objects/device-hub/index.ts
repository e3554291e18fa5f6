import { DurableObject } from 'cloudflare:workers';
import type { IngestAck, IngestBatch } from '../../../../schema/wire/ingest.ts';
import type { StreamSample } from '../../../../schema/wire/stream.ts';
import type {
  Aggregation,
  ExportPosition,
  ExportRow,
  RawStats,
  SeriesPoints,
} from '../../../../schema/wire/history.ts';
import type { HistoryPoint, LatestValue } from '../../../../schema/wire/telemetry.ts';
import { log } from '../../services/log.ts';
import { ingestLimit, TokenBucket } from '../../services/ingest/token-bucket.ts';
import { sampleSubject } from '../../services/streams/subjects.ts';
import { channelHubFor } from '../channel-hub/index.ts';
import { clearFlushed, lastSeenStatement, pendingRollups, remainingDirty, rollupStatements } from './flush.ts';
import {
  createEventTables,
  deliverEvents,
  detectBatchEvents,
  detectOffline,
  hasPendingEvents,
  offlineCheckAt,
} from './events.ts';
import { deleteSeriesData, exportPage } from './export.ts';
import { markRawReported, rawReportStatement, upkeepRaw } from './retention.ts';
import { attachSession, detachSession, pushConfig } from './mqtt.ts';
import { aggregateRaw, rawStats } from './query.ts';
import { SeriesResolver } from './series.ts';
import {
  appendSamples,
  createTables,
  getMeta,
  hasBatch,
  latestValues,
  rawHistory,
  setMeta,
  type SeriesRow,
} from './store.ts';
import { settings } from '../../settings.ts';

/** Who this object belongs to. Written at enrollment; loaded from D1 if ever missing. */
export interface DeviceIdentity {
  deviceId: string;
  orgId: string;
  siteId: string | null;
  tokenHash: string;
  revoked: boolean;
}

export type IngestResult =
  | { status: 'ok'; ack: IngestAck }
  | { status: 'unauthorized' }
  /** Over the device's ingest rate: nothing stored; send it again after `retryAfterSeconds`. */
  | { status: 'rate_limited'; retryAfterSeconds: number; perMinute: number };

interface SeenState {
  lastSeenAt: number;
  agentVersion: string | null;
  /** last_seen written to D1 by the latest flush. */
  flushedSeenAt: number | null;
}

/** Rollup flush cadence. Short enough for dashboards, long enough to batch D1 writes. */
const FLUSH_INTERVAL_MS = 15_000;
/** Dirty minutes handled per alarm run, so one run stays bounded. */
const FLUSH_MAX_MINUTES = 2_000;
/** Next run when a flush took a full chunk: a backfill of old data is rolled up in seconds, not minutes. */
const BACKLOG_FLUSH_MS = 1_000;
/** Batch ids are remembered this long for deduplication of retries. */
const BATCH_ID_TTL_MS = 7 * 24 * 3600 * 1000;

export function deviceHubFor(env: Env, deviceId: string) {
  return env.DEVICE_HUB.get(env.DEVICE_HUB.idFromName(deviceId));
}

/**
 * One per device, the single writer of its data: deduplicates batch ids, stores raw samples
 * in its SQLite, keeps latest values, publishes to the org's ChannelHub, and flushes rollups
 * and last-seen to D1 from an alarm.
 */
export class DeviceHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly series: SeriesResolver;
  private identityCache: DeviceIdentity | undefined;
  /** Export pages served since the object started: lets tests see that a cancelled export stopped. */
  private exportPagesServed = 0;
  private ingestBucket: TokenBucket | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.series = new SeriesResolver(this.sql, env.DB);
    createTables(this.sql);
    createEventTables(this.sql);
  }

  /** Called at enrollment (and on token rotation or revocation). */
  async setIdentity(identity: DeviceIdentity): Promise<void> {
    setMeta(this.sql, 'identity', identity);
    this.identityCache = identity;
  }

  /** The device's org and site when `tokenHash` is its current, unrevoked token; else null. */
  async authenticate(deviceId: string, tokenHash: string): Promise<{ orgId: string; siteId: string | null } | null> {
    const id = await this.identity(deviceId);
    return id && !id.revoked && id.tokenHash === tokenHash ? { orgId: id.orgId, siteId: id.siteId } : null;
  }

  /**
   * Stores a validated batch exactly once. Resolves only when the batch is durable
   * (the output gate holds the reply until the SQLite writes are committed).
   */
  async ingest(deviceId: string, tokenHash: string, batch: IngestBatch): Promise<IngestResult> {
    const identity = await this.identity(deviceId);
    if (!identity || identity.revoked || identity.tokenHash !== tokenHash) return { status: 'unauthorized' };
    // Checked here, not in the Worker: this object sees every batch of its device, over HTTPS and MQTT.
    const limit = ingestLimit(this.env);
    this.ingestBucket ??= new TokenBucket(limit.burst, limit.perMinute / 60);
    const token = this.ingestBucket.take();
    if (!token.ok)
      return { status: 'rate_limited', retryAfterSeconds: token.retryAfterSeconds, perMinute: limit.perMinute };
    if (hasBatch(this.sql, batch.batchId)) return { status: 'ok', ack: duplicateAck(batch.batchId) };

    const rows = await this.series.resolve(identity, batch.samples);
    const now = Date.now();
    let eventsQueued = false;
    const stored = this.ctx.storage.transactionSync(() => {
      // Re-checked inside the transaction: another request may have stored it while we awaited D1.
      if (hasBatch(this.sql, batch.batchId)) return false;
      this.sql.exec(
        'INSERT INTO batches (id, received_at, samples) VALUES (?, ?, ?)',
        batch.batchId,
        now,
        batch.samples.length,
      );
      appendSamples(
        this.sql,
        batch.samples.map((s, i) => ({ sid: rows[i]!.sid, ts: s.ts, value: s.value })),
      );
      const seen = getMeta<SeenState>(this.sql, 'seen');
      eventsQueued = detectBatchEvents(this.sql, batch, now, seen?.lastSeenAt ?? null, this.windowMs());
      setMeta(this.sql, 'seen', {
        lastSeenAt: now,
        agentVersion: batch.agent?.version ?? seen?.agentVersion ?? null,
        flushedSeenAt: seen?.flushedSeenAt ?? null,
      } satisfies SeenState);
      return true;
    });
    if (!stored) return { status: 'ok', ack: duplicateAck(batch.batchId) };

    await this.scheduleFlush(now);
    this.publish(identity, batch, rows);
    // Only a batch that changed the device's state waits on D1 here; the alarm retries failures.
    if (eventsQueued) await deliverEvents(this.env, this.sql, identity);
    return { status: 'ok', ack: { batchId: batch.batchId, accepted: batch.samples.length, duplicate: false } };
  }

  /**
   * The device's remote config changed. A device connected over MQTT is sent the new config
   * on its session (see the MQTT session object); over HTTPS the agent's next poll sees it.
   */
  async configChanged(): Promise<void> {
    this.identityCache ??= getMeta<DeviceIdentity>(this.sql, 'identity');
    if (this.identityCache) await pushConfig(this.env, this.sql, this.identityCache);
  }

  /** An MqttSession authenticated this device: it becomes the device's one live session. */
  async mqttAttach(sessionId: string): Promise<void> {
    const identity = (this.identityCache ??= getMeta<DeviceIdentity>(this.sql, 'identity'));
    await attachSession(this.env, this.sql, identity?.deviceId ?? 'unknown', sessionId);
  }

  /** An MqttSession ended. True when it was the device's current one (so the device is offline). */
  async mqttDetach(sessionId: string): Promise<boolean> {
    return detachSession(this.sql, sessionId);
  }

  async latest(): Promise<LatestValue[]> {
    return latestValues(this.sql);
  }

  async history(seriesId: string, from: number, to: number, limit: number): Promise<HistoryPoint[]> {
    return rawHistory(this.sql, seriesId, from, to, limit);
  }

  /** Raw points bucketed by `stepMs` and aggregated with `agg`, per series. */
  async aggregate(
    seriesIds: string[],
    from: number,
    to: number,
    stepMs: number,
    agg: Aggregation,
  ): Promise<SeriesPoints[]> {
    return aggregateRaw(this.sql, seriesIds, from, to, stepMs, agg);
  }

  /** Stats over [from, to) from raw samples, including p95. */
  async rangeStats(seriesIds: string[], from: number, to: number): Promise<RawStats[]> {
    return rawStats(this.sql, seriesIds, from, to);
  }

  /** One page of a streamed export; the Worker asks for the next page only when the client has read this one. */
  async exportPage(
    seriesIds: string[],
    from: number,
    to: number,
    after: ExportPosition | null,
    limit: number,
  ): Promise<{ rows: ExportRow[]; next: ExportPosition | null }> {
    this.exportPagesServed++;
    return exportPage(this.sql, seriesIds, from, to, after, limit);
  }

  /** Removes one series' raw data. The caller removes its D1 rows (registry and rollups). */
  async deleteSeries(seriesId: string): Promise<number> {
    const deleted = deleteSeriesData(this.sql, seriesId);
    this.series.forget(seriesId);
    return deleted;
  }

  /**
   * Deletes everything this object holds. With `keepIdentity` the device keeps reporting
   * (its data was deleted); without, the device itself is gone and its token stops working.
   */
  async wipe(keepIdentity: boolean): Promise<void> {
    const identity = getMeta<DeviceIdentity>(this.sql, 'identity');
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.series.clear();
    this.identityCache = undefined;
    createTables(this.sql);
    createEventTables(this.sql);
    if (keepIdentity && identity) await this.setIdentity(identity);
  }

  /** Counts for tests and operators. */
  async stats(): Promise<{
    samples: number;
    series: number;
    batches: number;
    dirtyMinutes: number;
    exportPagesServed: number;
  }> {
    const count = (table: string) => this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return {
      samples: count('samples'),
      series: count('series'),
      batches: count('batches'),
      dirtyMinutes: remainingDirty(this.sql),
      exportPagesServed: this.exportPagesServed,
    };
  }

  override async alarm(): Promise<void> {
    const identity = getMeta<DeviceIdentity>(this.sql, 'identity');
    if (!identity) return;
    const windowMs = this.windowMs();
    detectOffline(this.sql, Date.now(), getMeta<SeenState>(this.sql, 'seen')?.lastSeenAt ?? null, windowMs);
    await deliverEvents(this.env, this.sql, identity);
    // Before the flush, so the storage figures ride in its batch; unflushed minutes are kept.
    const raw = await upkeepRaw(this.env.DB, this.sql, identity.orgId, Date.now());
    const rows = pendingRollups(this.sql, FLUSH_MAX_MINUTES);
    const seen = getMeta<SeenState>(this.sql, 'seen');
    const statements = rollupStatements(this.env.DB, identity.orgId, rows);
    if (seen && seen.lastSeenAt !== seen.flushedSeenAt) {
      statements.push(lastSeenStatement(this.env.DB, identity, seen.lastSeenAt, seen.agentVersion));
    }
    if (raw.report) statements.push(rawReportStatement(this.env.DB, identity.deviceId, identity.orgId, raw.report));
    // A throw here makes the runtime retry the alarm with backoff; nothing is cleared until D1 has it.
    if (statements.length > 0) await this.env.DB.batch(statements);
    clearFlushed(this.sql, rows);
    if (raw.report) markRawReported(this.sql, raw.report);
    // Re-read: an ingest may have moved lastSeenAt on while D1 was being written.
    const current = getMeta<SeenState>(this.sql, 'seen');
    if (current && seen) setMeta(this.sql, 'seen', { ...current, flushedSeenAt: seen.lastSeenAt });
    this.sql.exec(
      'DELETE FROM batches WHERE id IN (SELECT id FROM batches WHERE received_at < ? LIMIT 1000)',
      Date.now() - BATCH_ID_TTL_MS,
    );
    const behind =
      remainingDirty(this.sql) > 0 ||
      (current && current.lastSeenAt !== seen?.lastSeenAt) ||
      hasPendingEvents(this.sql);
    const offlineCheck = offlineCheckAt(this.sql, current?.lastSeenAt ?? null, windowMs);
    await this.armAlarm(
      Math.min(
        behind ? Date.now() + (rows.length === FLUSH_MAX_MINUTES ? BACKLOG_FLUSH_MS : FLUSH_INTERVAL_MS) : Infinity,
        offlineCheck ?? Infinity,
        raw.nextAt,
      ),
    );
  }

  private async identity(deviceId: string): Promise<DeviceIdentity | undefined> {
    this.identityCache ??= getMeta<DeviceIdentity>(this.sql, 'identity');
    if (!this.identityCache) {
      const row = await this.env.DB.prepare('SELECT org_id, site_id, token_hash, revoked_at FROM devices WHERE id = ?')
        .bind(deviceId)
        .first<{ org_id: string; site_id: string | null; token_hash: string; revoked_at: number | null }>();
      if (!row) return undefined;
      await this.setIdentity({
        deviceId,
        orgId: row.org_id,
        siteId: row.site_id,
        tokenHash: row.token_hash,
        revoked: row.revoked_at !== null,
      });
    }
    return this.identityCache?.deviceId === deviceId ? this.identityCache : undefined;
  }

  /** Flush soon when D1 may still show the device offline, otherwise on the regular cadence. */
  private async scheduleFlush(now: number): Promise<void> {
    const flushed = getMeta<SeenState>(this.sql, 'seen')?.flushedSeenAt ?? null;
    const comingOnline = flushed === null || now - flushed > FLUSH_INTERVAL_MS * 2;
    await this.armAlarm(now + (comingOnline ? 500 : FLUSH_INTERVAL_MS));
  }

  /** The one alarm serves the flush and the offline check: keep whichever is due first. */
  private async armAlarm(at: number): Promise<void> {
    if (!Number.isFinite(at)) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private windowMs(): number {
    return settings(this.env).ONLINE_WINDOW_SECONDS * 1000;
  }

  private publish(identity: DeviceIdentity, batch: IngestBatch, rows: SeriesRow[]): void {
    const samples: StreamSample[] = batch.samples.map((s, i) => ({
      subject: sampleSubject(identity.orgId, identity.siteId, identity.deviceId, s.metric),
      seriesId: rows[i]!.seriesId,
      deviceId: identity.deviceId,
      metric: s.metric,
      labels: s.labels ?? {},
      ts: s.ts,
      value: s.value,
    }));
    // Live delivery is best effort; the batch is already durable and the reply must not wait on viewers.
    this.ctx.waitUntil(
      channelHubFor(this.env, identity.orgId)
        .publish(samples)
        .catch((err: unknown) => log.warn('publish failed', { deviceId: identity.deviceId, error: String(err) })),
    );
  }
}

function duplicateAck(batchId: string): IngestAck {
  return { batchId, accepted: 0, duplicate: true };
}
