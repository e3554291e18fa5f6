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

/** 1-minute rollups, written by each DeviceHub's alarm as absolute values (re-writes are idempotent). */
export const rollups1m = sqliteTable(
  'rollups_1m',
  {
    seriesId: text('series_id')
      .notNull()
      .references(() => series.id, { onDelete: 'cascade' }),
    /** Start of the minute, epoch ms. */
    bucket: integer('bucket').notNull(),
    orgId: text('org_id').notNull(),
    count: integer('count').notNull(),
    sum: real('sum').notNull(),
    min: real('min').notNull(),
    max: real('max').notNull(),
    last: real('last').notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.bucket] }), index('rollups_1m_org_bucket_idx').on(t.orgId, t.bucket)],
);
