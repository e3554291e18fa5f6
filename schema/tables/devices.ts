import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { organisations } from './tenancy.ts';

export const sites = sqliteTable(
  'sites',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    address: text('address'),
    /** IANA zone (`Europe/Zurich`): where a site's days start, for its reports and charts. */
    timeZone: text('time_zone').notNull().default('UTC'),
    /** Discovery by the site's gateways (schema/wire/gateway.ts `gatewayDiscovery`). */
    discoveryEnabled: integer('discovery_enabled', { mode: 'boolean' }).notNull().default(true),
    discoveryIntervalSeconds: integer('discovery_interval_seconds').notNull().default(600),
    /** Unicast discovery targets `{host, port}[]`; empty broadcasts. */
    discoveryTargets: text('discovery_targets', { mode: 'json' })
      .$type<{ host: string; port: number }[]>()
      .notNull()
      .default(sql`'[]'`),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('sites_org_idx').on(t.orgId)],
);

export const deviceKinds = ['host', 'gateway'] as const;
export type DeviceKind = (typeof deviceKinds)[number];

export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: deviceKinds }).notNull(),
    /** SHA-256 of the device secret. */
    tokenHash: text('token_hash').notNull(),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    agentVersion: text('agent_version'),
    /**
     * When the device last sent a batch, written by its DeviceHub only when its status changes:
     * the time it came online, and the exact last batch when it went offline. While `live`, the
     * exact time is in the hub (the device list asks it).
     */
    lastSeenAt: integer('last_seen_at'),
    /** 1 from the batch that brings the device online until its hub finds it silent past the online window. */
    live: integer('live', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
    /** Size of the device's Durable Object SQLite database, reported by its alarm. */
    rawBytes: integer('raw_bytes').notNull().default(0),
    /** Raw samples held by the device's Durable Object, reported by its alarm. */
    rawSamples: integer('raw_samples').notNull().default(0),
    /** Series the device has registered, reported by its alarm; SERIES_PER_DEVICE caps them. */
    seriesCount: integer('series_count').notNull().default(0),
    /** 1-minute rollups held by the device's Durable Object, reported by its alarm. */
    minuteRows: integer('minute_rows').notNull().default(0),
    /**
     * The oldest hour whose minutes the device's Durable Object still holds (null: none), reported
     * by its alarm: the cron asks the object to sweep minutes past the org's retention.
     */
    minutesFrom: integer('minutes_from'),
    /** Hour and day rollups held by the device's Durable Object, reported by its alarm. */
    hourRows: integer('hour_rows').notNull().default(0),
    dayRows: integer('day_rows').notNull().default(0),
    /**
     * Samples in the clock hour starting at `samples_hour` and in the one before, from the hour
     * rollups, as the device's Durable Object last reported them (the summary's last hour).
     */
    samplesHour: integer('samples_hour'),
    samplesInHour: integer('samples_in_hour').notNull().default(0),
    samplesInPreviousHour: integer('samples_in_previous_hour').notNull().default(0),
  },
  (t) => [uniqueIndex('devices_token_hash_uq').on(t.tokenHash), index('devices_org_idx').on(t.orgId, t.name)],
);

export const enrollmentTokens = sqliteTable(
  'enrollment_tokens',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull(),
    /** Devices enrolled with it get this kind. */
    kind: text('kind', { enum: deviceKinds }).notNull(),
    /** `null` means unlimited uses until it expires or is revoked. */
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('enrollment_tokens_hash_uq').on(t.tokenHash), index('enrollment_tokens_org_idx').on(t.orgId)],
);
