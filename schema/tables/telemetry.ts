import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { devices } from './devices.ts';
import { organisations } from './tenancy.ts';

/**
 * Series registry: one row per device + metric + labels. The id is derived from those three
 * (see `seriesId` in workers/src/services/series.ts), so a DeviceHub can name a series without
 * a round trip, and registers it here the first time it sees it. `num` is the compact integer
 * the rollup tables key on (assigned at registration, never reused while the row lives): a
 * 26-character text id repeated in every rollup row was most of a row's bytes.
 */
export const series = sqliteTable(
  'series',
  {
    id: text('id').primaryKey(),
    num: integer('num').notNull().unique(),
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

/**
 * Columns every D1 rollup level shares: absolute aggregates of one series (by `series.num`)
 * over one bucket. WITHOUT ROWID with the primary key as the only B-tree, and no org column:
 * every read names its series (checked against the org through `series`), and the org-wide
 * sweeps go through `series_org_metric_idx`. Measured with dbstat (`node bench/rollup-layout.ts`,
 * 2,400 hour rows of realistic values): 59.7 B per row, against 191.1 B for the layout keyed by
 * text series id with an org column and a (org_id, bucket) index that this replaced.
 */
function rollupTable<N extends string>(name: N) {
  return sqliteTable(
    name,
    {
      sid: integer('sid')
        .notNull()
        .references(() => series.num, { onDelete: 'cascade' }),
      /** Start of the bucket (hour or UTC day), epoch ms. */
      bucket: integer('bucket').notNull(),
      count: integer('count').notNull(),
      sum: real('sum').notNull(),
      min: real('min').notNull(),
      max: real('max').notNull(),
      last: real('last').notNull(),
    },
    (t) => [primaryKey({ columns: [t.sid, t.bucket] })],
  );
}

/**
 * 1-hour rollups, written by each DeviceHub's flush as absolute values from the minutes it
 * keeps (re-writes are idempotent), or merged once (`rollup_merges`) for hours it already swept.
 */
export const rollups1h = rollupTable('rollups_1h');
/** 1-day (UTC) rollups, recomputed by cron from `rollups_1h` for every marked day. */
export const rollups1d = rollupTable('rollups_1d');

export const rollupLevels = ['1d'] as const;
export type RollupMarkLevel = (typeof rollupLevels)[number];

/**
 * Days whose rollup must be recomputed from hours: the DeviceHub flush marks the day of every
 * hour it writes. Cron recomputes a marked day and deletes its mark in one D1 batch (one
 * transaction), so a mark set meanwhile survives.
 */
export const rollupMarks = sqliteTable(
  'rollup_marks',
  {
    level: text('level', { enum: rollupLevels }).notNull(),
    sid: integer('sid').notNull(),
    bucket: integer('bucket').notNull(),
    orgId: text('org_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.sid, t.bucket] })],
);

/**
 * Late-data merges already applied to `rollups_1h`: the DeviceHub sends each merge with a token
 * and the merge statement is guarded by its absence, in the same D1 batch that records it, so a
 * merge re-sent after a lost acknowledgement is counted once. The cron prunes tokens after a day.
 */
export const rollupMerges = sqliteTable('rollup_merges', {
  token: text('token').primaryKey(),
  at: integer('at').notNull(),
});

export const sweptLevels = ['1h'] as const;

/**
 * How far the cron's retention sweep has deleted an org's hourly rows: below `through` (a UTC
 * day) hours may be gone, so a day there is merged with hours that arrive late rather than
 * recomputed from them (rollup-cron).
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
