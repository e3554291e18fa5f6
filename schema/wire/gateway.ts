// zod/mini, like the agent's config, so the agent bundle stays small; the Worker validates with the same schemas.
import * as z from 'zod/mini';

/*
 * What the gateway (agent/src/gateway) and the platform agree on: raw register specs, T3 point
 * ids, the discovery report, and the `gateway` section of a gateway's remote config.
 */

/**
 * Raw Modbus registers, Telegraf-style (`inputs.modbus`): `{ name, register, address, type,
 * byteOrder, scale }`, for any Modbus device beside the T3 profile. Addresses are 0-based
 * protocol addresses, as in Telegraf and the T3 map: the Modicon "40001" is address 0 here.
 */

export const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];

/** Telegraf's numeric data types (Telegraf's INT8*, FLOAT16, STRING and BIT are not supported). */
export const DATA_TYPES = ['INT16', 'UINT16', 'INT32', 'UINT32', 'INT64', 'UINT64', 'FLOAT32', 'FLOAT64'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/**
 * Telegraf's byte orders, the letters naming the bytes of the value most significant first as
 * they arrive: ABCD big-endian, DCBA little-endian, BADC bytes swapped in each register, CDAB
 * registers swapped. AB and BA are the 16-bit spellings.
 */
export const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB', 'AB', 'BA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/** Registers each type spans. */
export const TYPE_WORDS: Record<DataType, number> = {
  INT16: 1,
  UINT16: 1,
  INT32: 2,
  UINT32: 2,
  FLOAT32: 2,
  INT64: 4,
  UINT64: 4,
  FLOAT64: 4,
};

const list = (values: readonly string[]) => values.join(', ');

// Names become the `name` label: short and printable, like probe names.
const name = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$/,
      'name must be 1-64 characters of letters, digits, space and ._:/- (example: "supply_temp")',
    ),
  );
const address = z.int({ error: 'address must be an integer 0-65535' }).check(z.gte(0), z.lte(65_535));
const scale = z
  .number({ error: 'scale must be a finite number (example: 0.1)' })
  .check(z.refine((v) => v !== 0, 'scale must not be 0'));

const wordRegister = z
  .strictObject({
    name,
    register: z.enum(['holding', 'input']),
    address,
    type: z.enum(DATA_TYPES, { error: `type must be one of ${list(DATA_TYPES)}` }),
    byteOrder: z.optional(z.enum(BYTE_ORDERS, { error: `byteOrder must be one of ${list(BYTE_ORDERS)}` })),
    scale: z.optional(scale),
  })
  .check(
    z.superRefine((r, ctx) => {
      const words = TYPE_WORDS[r.type];
      if (words > 1 && (r.byteOrder === 'AB' || r.byteOrder === 'BA')) {
        ctx.issues.push({
          code: 'custom',
          path: ['byteOrder'],
          input: r.byteOrder,
          message: `byteOrder ${r.byteOrder} is for 16-bit types; ${r.type} takes ABCD, DCBA, BADC or CDAB`,
        });
      }
      if (r.address + words > 65_536) {
        ctx.issues.push({
          code: 'custom',
          path: ['address'],
          input: r.address,
          message: `${r.type} at ${r.address} runs past register 65535`,
        });
      }
    }),
  );

const bitRegister = z.strictObject({
  name,
  register: z.enum(['coil', 'discrete']),
  address,
  scale: z.optional(scale),
});

/** One raw register: a holding/input register with its type, or a coil/discrete input (0 or 1). */
export const rawRegister = z.discriminatedUnion('register', [wordRegister, bitRegister], {
  error: `register must be one of ${list(REGISTER_TABLES)}`,
});
export type RawRegister = z.infer<typeof rawRegister>;
export type WordRegister = z.infer<typeof wordRegister>;

/** A holding or input register (rather than a coil or discrete input). */
export function isWordRegister(r: RawRegister): r is WordRegister {
  return r.register === 'holding' || r.register === 'input';
}

/** A controller's raw registers; their names are label values, so they must differ. */
export const rawRegisters = z.array(rawRegister).check(
  z.maxLength(1000),
  z.superRefine((items, ctx) => {
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      if (seen.has(item.name)) {
        ctx.issues.push({
          code: 'custom',
          path: [i, 'name'],
          input: item,
          message: `name "${item.name}" is used twice`,
        });
      }
      seen.add(item.name);
    }
  }),
);

/** T3 point types and how many points of each a controller has (agent/src/gateway/t3-profile.ts). */
export const T3_POINT_TYPES = ['IN', 'OUT', 'VAR'] as const;
export type T3PointType = (typeof T3_POINT_TYPES)[number];
export const T3_POINT_COUNTS: Record<T3PointType, number> = { IN: 64, OUT: 64, VAR: 128 };

/**
 * `IN1`…`IN64`, `OUT1`…`OUT64`, `VAR1`…`VAR128`: a point's id, and its `point` label. A pattern
 * rather than a refinement, so the OpenAPI document states exactly which ids exist.
 */
export const T3_POINT_PATTERN =
  /^(?:IN(?:[1-9]|[1-5][0-9]|6[0-4])|OUT(?:[1-9]|[1-5][0-9]|6[0-4])|VAR(?:[1-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$/;
export const t3PointId = z
  .string()
  .check(z.regex(T3_POINT_PATTERN, 'point must be IN1-IN64, OUT1-OUT64 or VAR1-VAR128 (example: "IN1")'));

const uint8 = z.int().check(z.gte(0), z.lte(255));
const uint16 = z.int().check(z.gte(0), z.lte(65_535));
const uint32 = z.int().check(z.gte(0), z.lte(4_294_967_295));
const tcpPort = z.int().check(z.gte(1), z.lte(65_535));
/** A host name or IPv4/IPv6 address, as a socket takes it. */
const host = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, 'host must be a host name or an IP address'));
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/**
 * One controller as a gateway's discovery round found it (`DiscoveredController` in
 * agent/src/gateway/discovery-protocol.ts). Unknown fields are ignored, so a newer agent can
 * report more.
 */
export const discoveredController = z.object({
  serial: uint32,
  productId: uint8,
  modbusId: uint8,
  ip: z.string().check(z.regex(IPV4, 'ip must be an IPv4 address (example: "192.168.1.20")')),
  port: uint16,
  firmware: uint16,
  parentSerial: z.nullable(uint32),
  panelNumber: uint8,
  panelName: z.nullable(z.string().check(z.maxLength(20))),
  bacnetInstance: z.nullable(z.int().check(z.gte(0), z.lte(4_194_302))),
  bacnetPort: z.nullable(tcpPort),
  replyFrom: z.optional(z.string().check(z.maxLength(300))),
});
export type DiscoveredControllerReport = z.infer<typeof discoveredController>;

/** `POST /v1/agents/gateway/discovered`: one completed discovery round of the calling gateway. */
export const discoveryReport = z.strictObject({
  /** When the round started (epoch ms); the time of the request when absent. */
  at: z.optional(z.int().check(z.gte(0))),
  controllers: z.array(discoveredController).check(
    z.maxLength(1000),
    z.superRefine((items, ctx) => {
      const seen = new Set<number>();
      for (const [i, item] of items.entries()) {
        if (seen.has(item.serial)) {
          ctx.issues.push({
            code: 'custom',
            path: [i, 'serial'],
            input: item.serial,
            message: `serial ${item.serial} is listed twice`,
          });
        }
        seen.add(item.serial);
      }
    }),
  ),
});
export type DiscoveryReport = z.infer<typeof discoveryReport>;

/**
 * A controller's `controller` label value, the key the gateway config and the samples share: its
 * serial number, or `host:port` for a device without one.
 */
const controllerKey = z.string().check(z.minLength(1), z.maxLength(300));

/**
 * BACnet object types the gateway reads `presentValue` of (their numbers are in
 * agent/src/gateway/bacnet-objects.ts; a test holds the two lists equal).
 */
export const BACNET_OBJECT_TYPE_NAMES = [
  'analog-input',
  'analog-output',
  'analog-value',
  'binary-input',
  'binary-output',
  'binary-value',
  'multi-state-input',
  'multi-state-output',
  'multi-state-value',
] as const;

/** `<type>:<instance>` with the instance 0…4194302 without leading zeros, so the text is its label value. */
export const BACNET_OBJECT_PATTERN = new RegExp(
  `^(?:${BACNET_OBJECT_TYPE_NAMES.join('|')}):(?:[0-9]|[1-9][0-9]{1,5}|[1-3][0-9]{6}|40[0-9]{5}|41[0-8][0-9]{4}|419[0-3][0-9]{3}|4194[0-2][0-9]{2}|419430[0-2])$`,
);
/** A BACnet object, `analog-input:3`: what is read, and the `object` label of its samples. */
export const bacnetObjectId = z
  .string()
  .check(
    z.regex(
      BACNET_OBJECT_PATTERN,
      `object must be <type>:<instance> with type one of ${list(BACNET_OBJECT_TYPE_NAMES)} and instance 0-4194302 (example: "analog-input:3")`,
    ),
  );

/** Where a controller answers BACnet/IP: its device instance and UDP port. */
export const gatewayBacnet = z.object({
  instance: z.int().check(z.gte(0), z.lte(4_194_302)),
  port: tcpPort,
});

/*
 * The gateway sections below are plain objects (unknown keys dropped), not strict ones: the
 * platform computes them, and a field added for newer agents must not make an older agent reject
 * its whole config. For agents released before that rule (strict), the platform leaves a new
 * field out when it is empty (`bacnet` below).
 */

/** A controller the gateway polls. */
export const gatewayController = z.object({
  /** The `controller` label of its samples. */
  id: controllerKey,
  serial: z.nullable(uint32),
  host,
  port: tcpPort,
  /** Modbus unit id. */
  unit: uint8,
  timeoutMs: z.int().check(z.gte(100), z.lte(60_000)),
  /** Its BACnet/IP device; absent (or `null`) when it has none known. */
  bacnet: z.optional(z.nullable(gatewayBacnet)),
});
export type GatewayController = z.infer<typeof gatewayController>;

/** One trend log, as the gateway runs it: what to read, and how often. */
export const gatewayTrendLog = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(100)),
  intervalSeconds: z.int().check(z.gte(1), z.lte(86_400)),
  points: z.array(z.strictObject({ controller: controllerKey, point: t3PointId })),
  registers: z.array(z.strictObject({ controller: controllerKey, spec: rawRegister })),
  /** BACnet objects whose `presentValue` is read; absent when none. */
  bacnet: z.optional(z.array(z.strictObject({ controller: controllerKey, object: bacnetObjectId }))),
});
export type GatewayTrendLog = z.infer<typeof gatewayTrendLog>;

/** Where and how often the gateway looks for controllers. */
export const gatewayDiscovery = z.object({
  enabled: z.boolean(),
  intervalSeconds: z.int().check(z.gte(60), z.lte(86_400)),
  /** Unicast targets (routed networks); with none, the query is broadcast. */
  targets: z.array(z.strictObject({ host, port: tcpPort })).check(z.maxLength(256)),
});
export type GatewayDiscovery = z.infer<typeof gatewayDiscovery>;

/**
 * The `gateway` section of a gateway device's remote config, computed by the platform from its
 * controllers, trend logs and site: not set by hand.
 */
export const gatewayConfig = z.object({
  controllers: z.array(gatewayController),
  trendLogs: z.array(gatewayTrendLog),
  discovery: gatewayDiscovery,
});
export type GatewayConfig = z.infer<typeof gatewayConfig>;

/**
 * Metric names of the gateway. Every point is its own series, labelled
 * `{controller, point, type}`: labels that never change for a point, so its history stays one
 * series. What can change (range, auto/manual, analog/digital) is a series of its own rather
 * than a label, since a label change would start a new series and break the history in two.
 */
export const GATEWAY_METRICS = {
  /** The point's value: analog in engineering units (÷1000), digital 0/1 as the controller gives it. */
  pointValue: 't3_point_value',
  /** T3000's range code (unit, or on/off wording and polarity for digital points). */
  pointRange: 't3_point_range',
  /** 1 manual (an operator overrides the value), 0 auto. */
  pointManual: 't3_point_manual',
  /** 1 digital, 0 analog. */
  pointDigital: 't3_point_digital',
  /** A raw register, labelled `{controller, name}`. */
  registerValue: 'modbus_register_value',
  /** A BACnet object's present value, labelled `{controller, object}` (agent/src/gateway/bacnet.ts). */
  bacnetPresentValue: 'bacnet_present_value',
  /** 1 when the controller answered in its last poll, else 0. */
  up: 'gateway_controller_up',
  /** Mean time to answer one request in the last poll. */
  readSeconds: 'gateway_controller_read_seconds',
  /** Time the last poll took, all its requests one after the other. */
  cycleSeconds: 'gateway_controller_cycle_seconds',
  /** Requests sent since the agent started. */
  requestsTotal: 'gateway_controller_requests_total',
  /** Requests that failed (after retries) since the agent started. */
  errorsTotal: 'gateway_controller_errors_total',
  /** When the controller last answered (epoch seconds). */
  lastSuccess: 'gateway_controller_last_success_timestamp_seconds',
} as const;
