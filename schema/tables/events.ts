import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { organisations } from './tenancy.ts';

/** The event log. Persisted first, then published to the org's channel. */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    /** e.g. `device.online`, `agent.started`, `custom`. */
    type: text('type').notNull(),
    /** Stream subject the event is published on, e.g. `org.<org>.device.<dev>.event.online`. */
    subject: text('subject').notNull(),
    ts: integer('ts').notNull(),
    /** The request's X-Request-Id, or the agent's batch id. */
    correlationId: text('correlation_id'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    // (ts, id) is the log's order and the query cursor, so pages are read straight off this index.
    index('events_org_ts_id_idx').on(t.orgId, t.ts, t.id),
    index('events_org_correlation_idx').on(t.orgId, t.correlationId),
  ],
);
