/** Every D1 table, for drizzle and drizzle-kit. Wire types live in ./wire. */
export * from './tables/tenancy.ts';
export * from './tables/devices.ts';
export * from './tables/telemetry.ts';
export * from './tables/events.ts';
export * from './tables/agent-configs.ts';
export * from './tables/audit.ts';
export * from './tables/alerts.ts';
export * from './tables/sites.ts';
