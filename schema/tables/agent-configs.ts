import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { RemoteAgentConfig } from '../wire/agent-config.ts';
import { organisations } from './tenancy.ts';

/**
 * Remote agent configuration: the org's default (`scope = '*'`) and per-device overrides
 * (`scope = <device id>`). An agent gets the default with its device's sections laid over it.
 */
export const agentConfigs = sqliteTable(
  'agent_configs',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    config: text('config', { mode: 'json' }).$type<Partial<RemoteAgentConfig>>().notNull(),
    updatedAt: integer('updated_at').notNull(),
    updatedBy: text('updated_by'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.scope] })],
);
