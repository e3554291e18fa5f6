import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A tenant. Every other tenant row carries `orgId`. */
export const organisations = sqliteTable('organisations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Retention in days. Raw samples are swept by each DeviceHub's alarm, rollups by cron. */
  rawRetentionDays: integer('raw_retention_days').notNull().default(30),
  rollup1mRetentionDays: integer('rollup_1m_retention_days').notNull().default(90),
  rollup1hRetentionDays: integer('rollup_1h_retention_days').notNull().default(730),
  /** `null` keeps 1-day rollups forever. */
  rollup1dRetentionDays: integer('rollup_1d_retention_days'),
  /** Audit rows older than this are deleted by the cron. */
  auditRetentionDays: integer('audit_retention_days').notNull().default(365),
  /**
   * Set when the owner deletes the organisation: from then on it answers as gone, while its
   * devices' data is deleted through their objects in bounded chunks, and then its rows.
   */
  deletedAt: integer('deleted_at'),
});

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** PBKDF2-SHA256, `pbkdf2$<iterations>$<salt b64>$<hash b64>`. */
    passwordHash: text('password_hash').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
);

export const roles = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];

export const memberships = sqliteTable(
  'memberships',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: roles }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the cookie value; the cookie itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    /** Absolute expiry: the session ends then, however active. */
    expiresAt: integer('expires_at').notNull(),
    /** Last request; the session also ends after the idle limit without one. */
    lastUsedAt: integer('last_used_at'),
    /** What signed in, for the sessions list (never used to authenticate). */
    userAgent: text('user_agent'),
    clientAddress: text('client_address'),
  },
  (t) => [
    uniqueIndex('sessions_token_hash_uq').on(t.tokenHash),
    index('sessions_org_idx').on(t.orgId),
    index('sessions_user_idx').on(t.userId),
  ],
);

export const apiKeyScopes = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    /** JSON array of {@link ApiKeyScope}. */
    scopes: text('scopes', { mode: 'json' }).$type<ApiKeyScope[]>().notNull(),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_key_hash_uq').on(t.keyHash), index('api_keys_org_idx').on(t.orgId)],
);

/**
 * An invitation to join an organisation with a role. The link carries a random token; only its
 * SHA-256 is stored. One use: accepting sets `acceptedAt`; deleting sets `revokedAt`.
 */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    /** Normalised (trimmed, lower-case). */
    email: text('email').notNull(),
    role: text('role', { enum: roles }).notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    acceptedBy: text('accepted_by'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('invitations_token_hash_uq').on(t.tokenHash), index('invitations_org_idx').on(t.orgId)],
);
