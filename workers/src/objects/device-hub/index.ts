import { DurableObject } from 'cloudflare:workers';
import { countAlarm, metered } from '../../services/meter/metered-env.ts';
import type { Aggregation, ExportPosition, RawStats, RollupAggregates } from '../../../../schema/wire/history.ts';
import type { LatestValue } from '../../../../schema/wire/telemetry.ts';
import { ingestLimit, TokenBucket } from '../../services/ingest/token-bucket.ts';
import { batchHash, isLegacyHash, legacyHashes, type CompactBatch } from '../../services/ingest/compact.ts';
import { seriesLimit, toRefusal } from '../../services/ingest/refusals.ts';
import { settings } from '../../settings.ts';
import type { PreviewRequest, PreviewResult } from '../../services/alerts/preview-types.ts';
import { FLUSH_INTERVAL_MS, runAlarm } from './alarm.ts';
import { previewRule } from './alert-preview.ts';
import { AgentConfigCache } from './agent-config.ts';
import type { AgentConfigAnswer } from '../../services/agents/config.ts';
import { HubAlerts } from './alerts.ts';
import { judgeStored, storedHash } from './batches.ts';
import { createEventTables, deliverEvents } from './events.ts';
import { seriesColumns, type PointColumns, type SeriesColumns } from './columns.ts';
import { deleteSeriesData, exportPage, type ExportPage } from './export.ts';
import { remainingDirty } from './flush.ts';
import { reportedLive, reportSoon } from './device-report.ts';
import { identityFromD1, storedIdentity, storeIdentity, type DeviceIdentity } from './identity.ts';
import { publishBatch, seenAnswer, storeBatch, type IngestResult } from './ingest.ts';
import { attachSession, detachSession, pushConfig } from './mqtt.ts';
import { deleteRollupsOf, rollupExportRows, rollupPoints, rollupsHeld, rollupStats } from './rollup-query.ts';
import { sweepLevel } from './rollup-retention.ts';
import { createRollupStorage } from './minute-store.ts';
import { bucketCount, type Level } from './rollup-store.ts';
import { aggregateRaw, rawStats } from './query.ts';
import { countRaw } from './raw-read.ts';
import { SeriesResolver } from './series.ts';
import { createTables, getSeen, latestValues, rawHistory, type LatestFilter } from './store.ts';

export type { DeviceIdentity } from './identity.ts';
export type { IngestResult } from './ingest.ts';

/** Delay before the alarm reports figures that a delete changed. */
const REPORT_SOON_MS = 500;

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
  private readonly alerts: HubAlerts;
  private identityCache: DeviceIdentity | undefined;
  private readonly agentConfig: AgentConfigCache;
  private ingestBucket: TokenBucket | undefined;
  /**
   * Export pages served since the object started. Kept although only tests read it: reads that
   * stop when a client goes away leave no other trace to observe.
   */
  private exportPagesServed = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, metered(env, 'DeviceHub'));
    this.sql = ctx.storage.sql;
    this.agentConfig = new AgentConfigCache(this.env, this.sql);
    this.series = new SeriesResolver(this.sql, this.env.DB);
    this.createStorage();
    this.alerts = new HubAlerts({
      env: this.env,
      sql: this.sql,
      transact: (fn) => ctx.storage.transactionSync(fn),
      arm: (at) => this.armAlarm(at),
    });
  }

  /** The object's tables, on a new or an emptied object (and migrations of older ones). */
  private createStorage(): void {
    createTables(this.sql);
    createRollupStorage(this.sql);
    createEventTables(this.sql);
  }

  /** Called at enrollment (and on token rotation or revocation). */
  async setIdentity(identity: DeviceIdentity): Promise<void> {
    storeIdentity(this.sql, identity);
    this.identityCache = identity;
  }

  /** The device's org and site when `tokenHash` is its current, unrevoked token; else null. */
  async authenticate(deviceId: string, tokenHash: string): Promise<{ orgId: string; siteId: string | null } | null> {
    const id = await this.identity(deviceId);
    return id && !id.revoked && id.tokenHash === tokenHash ? { orgId: id.orgId, siteId: id.siteId } : null;
  }

  /**
   * Stores a validated batch (its compact form, see services/ingest/compact.ts) exactly once. Resolves only when the batch is durable
   * (the output gate holds the reply until the SQLite writes are committed). A batch id stored
   * before is a duplicate when its samples are the same, and refused when they differ.
   */
  async ingest(deviceId: string, tokenHash: string, batch: CompactBatch): Promise<IngestResult> {
    const identity = await this.identity(deviceId);
    if (!identity || identity.revoked || identity.tokenHash !== tokenHash) return { status: 'unauthorized' };
    const limited = this.takeIngestToken();
    if (limited) return limited;
    const stored = storedHash(this.sql, batch.batchId);
    const hash = {
      canonical: await batchHash(batch),
      // Only an id stored before the canonical hash needs the older one computed.
      legacy: stored && isLegacyHash(stored) ? await legacyHashes(batch) : [],
    };
    const before = judgeStored(stored, hash.canonical, hash.legacy);
    if (before !== 'new') return seenAnswer(batch.batchId, before);
    const maxSeries = settings(this.env).SERIES_PER_DEVICE;
    const resolved = await this.series.resolve(identity, batch.series, maxSeries);
    if (!resolved.ok) {
      return { status: 'refused', refusal: toRefusal(seriesLimit(maxSeries, resolved.overLimit.field)) };
    }

    const now = Date.now();
    await this.alerts.prepare(identity, now);
    const result = this.ctx.storage.transactionSync(() => {
      const s = storeBatch(this.sql, batch, hash, resolved.rows, now, this.windowMs());
      // Alert states and transitions commit with the samples that caused them.
      const alerts = s.seen === 'new' ? this.alerts.evaluateBatch(identity, batch, resolved.rows, now) : null;
      return { ...s, alerts };
    });
    // Before any await: the next batch must see the states this one left.
    this.alerts.committed(result.alerts);
    if (result.seen !== 'new') return seenAnswer(batch.batchId, result.seen);
    await this.scheduleFlush(now);
    publishBatch(this.env, this.ctx, identity, batch, resolved.rows);
    // Only a batch that changed the device's state waits on D1 here; the alarm retries failures.
    if (result.eventsQueued) await deliverEvents(this.env, this.sql, identity);
    await this.alerts.afterBatch(identity, result.alerts);
    return { status: 'ok', ack: { batchId: batch.batchId, accepted: batch.ts.length, duplicate: false } };
  }

  /**
   * The device's remote config changed. A device connected over MQTT is sent the new config
   * on its session (see the MQTT session object); over HTTPS the agent's next poll sees it.
   */
  async configChanged(): Promise<void> {
    this.agentConfig.forget();
    const identity = await this.identity();
    // Answered once the copy is dropped, so the change's request can wait for just that; the
    // push (a D1 read and a call to the session) follows on its own.
    if (identity) this.ctx.waitUntil(pushConfig(this.env, this.sql, identity, this.agentConfig));
  }

  /**
   * What the device's agent polls for (config, host notices, ETag), from this object's copy. The
   * caller authenticated the device, so it passes the identity it got.
   */
  async agentConfigAnswer(device: { deviceId: string; orgId: string }): Promise<AgentConfigAnswer> {
    return this.agentConfig.get(device);
  }

  /**
   * An alert rule that covers (or covered) this device changed: the cached rules are reloaded
   * now, states of rules that left or changed end, and the alarm looks at absence soon.
   */
  async rulesChanged(): Promise<void> {
    const identity = await this.identity();
    if (identity) await this.alerts.rulesChanged(identity);
  }

  /** Runs a rule (not stored) over this device's raw history: the transitions it would have made. */
  async alertPreview(request: PreviewRequest): Promise<PreviewResult> {
    return previewRule(this.sql, request);
  }

  /** An MqttSession authenticated this device: it becomes the device's one live session. */
  async mqttAttach(sessionId: string): Promise<void> {
    await attachSession(this.env, this.sql, (await this.identity())?.deviceId ?? 'unknown', sessionId);
  }

  /** An MqttSession ended. True when it was the device's current one (so the device is offline). */
  async mqttDetach(sessionId: string): Promise<boolean> {
    return detachSession(this.sql, sessionId);
  }

  /** The latest value of each series, or of those `filter` names. */
  async latest(filter?: LatestFilter): Promise<LatestValue[]> {
    return latestValues(this.sql, filter);
  }

  /** Raw points of one series in [from, to), oldest first, at most `limit`, as columns. */
  async history(seriesId: string, from: number, to: number, limit: number): Promise<PointColumns> {
    return rawHistory(this.sql, seriesId, from, to, limit);
  }

  /** Raw points bucketed by `stepMs` and aggregated with `agg`, per series, as columns. */
  async aggregate(
    seriesIds: string[],
    from: number,
    to: number,
    stepMs: number,
    agg: Aggregation,
  ): Promise<SeriesColumns[]> {
    return seriesColumns(aggregateRaw(this.sql, seriesIds, from, to, stepMs, agg));
  }

  /** Stats over [from, to) from raw samples, including p95. */
  async rangeStats(seriesIds: string[], from: number, to: number): Promise<RawStats[]> {
    return rawStats(this.sql, seriesIds, from, to);
  }

  /** Rollups of a level bucketed by `stepMs` (a multiple of the level's bucket) and aggregated with `agg`, per series. */
  async rollupAggregate(
    level: Level,
    seriesIds: string[],
    from: number,
    to: number,
    stepMs: number,
    agg: Aggregation,
  ): Promise<SeriesColumns[]> {
    return seriesColumns(rollupPoints(this.sql, level, seriesIds, from, to, stepMs, agg));
  }

  /** Stats over [from, to) from rollups of a level (no p95). */
  async rollupStats(level: Level, seriesIds: string[], from: number, to: number): Promise<RawStats[]> {
    return rollupStats(this.sql, level, seriesIds, from, to);
  }

  /** Up to `limit` rollups of a level of one series starting in [from, to), for an export page. */
  async rollupExportPage(
    level: Level,
    seriesId: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<(RollupAggregates & { bucket: number })[]> {
    return rollupExportRows(this.sql, level, seriesId, from, to, limit);
  }

  /** Whether this object holds a rollup of a level of these series overlapping [from, to). */
  async rollupsHeld(level: Level, seriesIds: string[], from: number, to: number): Promise<boolean> {
    return rollupsHeld(this.sql, level, seriesIds, from, to);
  }

  /** The device's exact last batch time and agent version (D1 has them only as of its last status change). */
  async seen(): Promise<{ lastSeenAt: number | null; agentVersion: string | null }> {
    const seen = getSeen(this.sql);
    return { lastSeenAt: seen?.lastSeenAt ?? null, agentVersion: seen?.agentVersion ?? null };
  }

  /**
   * Sweeps 1-minute rollups before `cutoff` (an hour), as the cron asks when the device row
   * reports minutes past the org's retention; returns whether more are left. The device row's
   * figures follow from the alarm soon after.
   */
  async sweepMinutes(cutoff: number): Promise<boolean> {
    const more = this.ctx.storage.transactionSync(() => {
      const left = sweepLevel(this.sql, '1m', cutoff);
      if (!left) reportSoon(this.sql);
      return left;
    });
    if (!more) await this.armAlarm(Date.now() + REPORT_SOON_MS);
    return more;
  }

  /** One page of a streamed export; the Worker asks for the next page only when the client has read this one. */
  async exportPage(
    seriesIds: string[],
    from: number,
    to: number,
    after: ExportPosition | null,
    limit: number,
  ): Promise<ExportPage> {
    this.exportPagesServed++;
    return exportPage(this.sql, seriesIds, from, to, after, limit);
  }

  /** Removes one series' data, raw and rolled up. The caller removes its D1 row. */
  async deleteSeries(seriesId: string): Promise<number> {
    const deleted = this.ctx.storage.transactionSync(() => {
      deleteRollupsOf(this.sql, seriesId);
      reportSoon(this.sql);
      return deleteSeriesData(this.sql, seriesId);
    });
    this.series.forget(seriesId);
    const identity = await this.identity();
    if (identity) {
      this.alerts.close(identity, seriesId, 'series_deleted');
      await this.alerts.deliver(identity);
    }
    // The device row's series count and storage figures follow soon, from the alarm.
    await this.armAlarm(Date.now() + REPORT_SOON_MS);
    return deleted;
  }

  /**
   * Deletes everything this object holds. With `keepIdentity` the device keeps reporting
   * (its data was deleted); without, the device itself is gone and its token stops working.
   */
  async wipe(keepIdentity: boolean): Promise<void> {
    const identity = await this.identity();
    // Open incidents end with the data; their transitions survive the wipe to reach D1 (the device's own
    // delete removes its incidents there anyway).
    const outbox = identity && keepIdentity ? this.alerts.close(identity, null, 'data_deleted') : [];
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.series.clear();
    this.identityCache = undefined;
    this.createStorage();
    this.alerts.reset(outbox);
    if (keepIdentity && identity) {
      await this.setIdentity(identity);
      await this.armAlarm(Date.now() + REPORT_SOON_MS);
    }
  }

  /** What this object holds, for operators (and the delete route's count of samples). */
  async stats(): Promise<{
    /** Raw samples held, head and blocks, each (series, ts) once. */
    samples: number;
    /** Of which not sealed yet (rows of the head). */
    headSamples: number;
    /** Sealed blocks. */
    blocks: number;
    series: number;
    batches: number;
    dirtyMinutes: number;
    minutes: number;
    hours: number;
    days: number;
    exportPagesServed: number;
  }> {
    const count = (table: string) => this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return {
      samples: countRaw(this.sql, null),
      headSamples: count('samples'),
      blocks: count('blocks'),
      series: count('series'),
      batches: count('batches'),
      dirtyMinutes: remainingDirty(this.sql),
      minutes: bucketCount(this.sql, '1m'),
      hours: bucketCount(this.sql, '1h'),
      days: bucketCount(this.sql, '1d'),
      exportPagesServed: this.exportPagesServed,
    };
  }

  /** Offline detection, upkeep, the rollup flush and the device row's report: see alarm.ts for the steps. */
  override async alarm(): Promise<void> {
    countAlarm(this.env, 'DeviceHub');
    const identity = await this.identity();
    if (!identity) return;
    await this.armAlarm(
      await runAlarm({
        env: this.env,
        sql: this.sql,
        identity,
        windowMs: this.windowMs(),
        alerts: this.alerts,
        transact: (fn) => this.ctx.storage.transactionSync(fn),
      }),
    );
  }

  /**
   * The one way to read the device's identity: memory, then this object's storage, then D1
   * when a caller names the device (an object whose copy went missing). With `deviceId`, an
   * identity of another device is not returned.
   */
  private async identity(deviceId?: string): Promise<DeviceIdentity | undefined> {
    this.identityCache ??= storedIdentity(this.sql);
    if (!this.identityCache && deviceId !== undefined) {
      const loaded = await identityFromD1(this.env.DB, deviceId);
      if (loaded) await this.setIdentity(loaded);
    }
    return deviceId === undefined || this.identityCache?.deviceId === deviceId ? this.identityCache : undefined;
  }

  /** Checked here, not in the Worker: this object sees every batch of its device, over HTTPS and MQTT. */
  private takeIngestToken(): IngestResult | undefined {
    const limit = ingestLimit(this.env);
    this.ingestBucket ??= new TokenBucket(limit.burst, limit.perMinute / 60);
    const token = this.ingestBucket.take();
    if (token.ok) return undefined;
    return { status: 'rate_limited', retryAfterSeconds: token.retryAfterSeconds, perMinute: limit.perMinute };
  }

  /** Soon when D1 does not have the device as live yet (its status changes), otherwise on the flush cadence. */
  private async scheduleFlush(now: number): Promise<void> {
    await this.armAlarm(now + (reportedLive(this.sql) ? FLUSH_INTERVAL_MS : 500));
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
}
