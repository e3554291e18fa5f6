import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { devices } from './devices.ts';
import { organisations } from './tenancy.ts';

/**
 * Series registry: one row per device + metric + labels. The id is derived from those three
 * (see `seriesId` in workers/src/services/series.ts), so a DeviceHub can name a series without
 * a round trip, and registers it here the first time it sees it.
 */
export const series = sqliteTable(
  'series',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('series_org_metric_idx').on(t.orgId, t.metric), index('series_device_idx').on(t.deviceId)],
);

/** Columns every rollup level shares: absolute aggregates of one series over one bucket. */
function rollupTable<N extends string>(name: N) {
  return sqliteTable(
    name,
    {
      seriesId: text('series_id')
        .notNull()
        .references(() => series.id, { onDelete: 'cascade' }),
      /** Start of the bucket (minute, hour or UTC day), epoch ms. */
      bucket: integer('bucket').notNull(),
      orgId: text('org_id').notNull(),
      count: integer('count').notNull(),
      sum: real('sum').notNull(),
      min: real('min').notNull(),
      max: real('max').notNull(),
      last: real('last').notNull(),
    },
    (t) => [primaryKey({ columns: [t.seriesId, t.bucket] }), index(`${name}_org_bucket_idx`).on(t.orgId, t.bucket)],
  );
}

/** 1-minute rollups, written by each DeviceHub's alarm as absolute values (re-writes are idempotent). */
export const rollups1m = rollupTable('rollups_1m');
/** 1-hour rollups, recomputed by cron from `rollups_1m` for every marked hour. */
export const rollups1h = rollupTable('rollups_1h');
/** 1-day (UTC) rollups, recomputed by cron from `rollups_1h` for every marked day. */
export const rollups1d = rollupTable('rollups_1d');

export const rollupLevels = ['1h', '1d'] as const;
export type RollupMarkLevel = (typeof rollupLevels)[number];

/**
 * Buckets whose coarser rollup must be recomputed: the DeviceHub flush marks the hour of
 * every minute it writes, the hourly pass marks the day. Cron recomputes a marked bucket and
 * deletes its mark in one D1 batch (one transaction), so a mark set meanwhile survives.
 */
export const rollupMarks = sqliteTable(
  'rollup_marks',
  {
    level: text('level', { enum: rollupLevels }).notNull(),
    seriesId: text('series_id').notNull(),
    bucket: integer('bucket').notNull(),
    orgId: text('org_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.seriesId, t.bucket] })],
);

export const sweptLevels = ['1m', '1h'] as const;

/**
 * How far the cron's retention sweep has deleted an org's rows of a level: below `through`
 * (aligned to the next level's buckets) that level's rows may be gone, so a coarser bucket there
 * is merged with rows that arrive late rather than recomputed from them (rollup-cron).
 */
export const rollupSweeps = sqliteTable(
  'rollup_sweeps',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    level: text('level', { enum: sweptLevels }).notNull(),
    through: integer('through').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.level] })],
);
