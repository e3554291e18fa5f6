import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { RawRegister, T3PointType } from '../wire/gateway.ts';
import { devices, sites } from './devices.ts';
import { organisations } from './tenancy.ts';

export const controllerSources = ['discovery', 'manual'] as const;

/**
 * A building controller (a Temco T3000, or any Modbus TCP device) at a site, reached by one
 * gateway. Its serial number is its `controller` label in the gateway's samples.
 */
export const controllers = sqliteTable(
  'controllers',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    /** The gateway device that polls it; `null` when none does (its gateway was deleted). */
    gatewayDeviceId: text('gateway_device_id').references(() => devices.id, { onDelete: 'set null' }),
    serial: integer('serial').notNull(),
    /** An operator's name for it; the panel name is what the controller reports. */
    label: text('label'),
    productId: integer('product_id'),
    modbusId: integer('modbus_id').notNull(),
    ip: text('ip').notNull(),
    port: integer('port').notNull(),
    bacnetInstance: integer('bacnet_instance'),
    bacnetPort: integer('bacnet_port'),
    panelNumber: integer('panel_number'),
    panelName: text('panel_name'),
    firmware: integer('firmware'),
    /** Sub-devices on a controller's RS-485 bus report their parent's serial. */
    parentSerial: integer('parent_serial'),
    /** Per request; the gateway's default (5 s) when `null`. */
    timeoutMs: integer('timeout_ms'),
    source: text('source', { enum: controllerSources }).notNull(),
    /** When a discovery round last listed it. */
    discoveredAt: integer('discovered_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('controllers_org_serial_uq').on(t.orgId, t.serial),
    index('controllers_site_idx').on(t.siteId),
    index('controllers_gateway_idx').on(t.gatewayDeviceId),
  ],
);

/** What an operator calls a controller's point and its unit; values come from the gateway's series. */
export const points = sqliteTable(
  'points',
  {
    controllerId: text('controller_id')
      .notNull()
      .references(() => controllers.id, { onDelete: 'cascade' }),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    pointType: text('point_type').$type<T3PointType>().notNull(),
    pointNumber: integer('point_number').notNull(),
    label: text('label'),
    unit: text('unit'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.controllerId, t.pointType, t.pointNumber] })],
);

/** A point of a trend log, by controller id. */
export interface TrendLogPoint {
  controllerId: string;
  point: string;
}
/** A raw register of a trend log, by controller id. */
export interface TrendLogRegister {
  controllerId: string;
  spec: RawRegister;
}

/** A BACnet object of a trend log (`analog-input:3`), by controller id. */
export interface TrendLogBacnet {
  controllerId: string;
  object: string;
}

/**
 * What a gateway reads and how often, defined in the cloud and delivered in the gateway's remote
 * config. Scoped to a site or to one gateway; each gateway polls the entries of its controllers.
 */
export const trendLogs = sqliteTable(
  'trend_logs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'cascade' }),
    gatewayDeviceId: text('gateway_device_id').references(() => devices.id, { onDelete: 'cascade' }),
    intervalSeconds: integer('interval_seconds').notNull(),
    points: text('points', { mode: 'json' }).$type<TrendLogPoint[]>().notNull(),
    registers: text('registers', { mode: 'json' }).$type<TrendLogRegister[]>().notNull(),
    bacnet: text('bacnet', { mode: 'json' })
      .$type<TrendLogBacnet[]>()
      .notNull()
      .default(sql`'[]'`),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('trend_logs_org_idx').on(t.orgId, t.name),
    index('trend_logs_site_idx').on(t.siteId),
    index('trend_logs_gateway_idx').on(t.gatewayDeviceId),
  ],
);
