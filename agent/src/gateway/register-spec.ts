// zod/mini, like the agent's config, so the bundle stays small.
import * as z from 'zod/mini';

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

/** A raw register spec that does not validate; the message names each bad field. */
export class RegisterSpecError extends Error {
  override name = 'RegisterSpecError';
}

const EXAMPLE =
  '{"name": "flow", "register": "holding", "address": 0, "type": "FLOAT32", "byteOrder": "ABCD", "scale": 0.1}';

/** Validates a list of raw registers; throws RegisterSpecError with one line per bad field. */
export function parseRawRegisters(input: unknown, where = 'registers'): RawRegister[] {
  const parsed = rawRegisters.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${JSON.stringify(valueAt(input, issue.path))})`;
    const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message;
    return `${where}${path}: ${message}${got}`;
  });
  throw new RegisterSpecError(`invalid raw registers:\n  ${lines.join('\n  ')}\n  example: ${EXAMPLE}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * Parses the command-line shorthand `register:address[:type[:byteOrder[:scale]]]`, e.g.
 * `holding:100:FLOAT32:CDAB:0.1` or `coil:12`; the text is its name.
 */
export function parseRegisterShorthand(text: string): RawRegister {
  const [register, address, type, byteOrder, scale, ...rest] = text.split(':');
  const shape = 'register:address[:type[:byteOrder[:scale]]] (example: holding:100:FLOAT32:ABCD:0.1)';
  if (!register || address === undefined || rest.length > 0) {
    throw new RegisterSpecError(`--raw ${JSON.stringify(text)}: expected ${shape}`);
  }
  const bits = register === 'coil' || register === 'discrete';
  const spec: Record<string, unknown> = {
    name: text.slice(0, 64),
    register,
    address: /^[0-9]+$/.test(address) ? Number(address) : address,
  };
  if (!bits) spec.type = (type || 'UINT16').toUpperCase();
  else if (type)
    throw new RegisterSpecError(`--raw ${JSON.stringify(text)}: a ${register} has no type (example: ${register}:12)`);
  if (byteOrder) spec.byteOrder = byteOrder.toUpperCase();
  if (scale !== undefined) spec.scale = scale.trim() !== '' && Number.isFinite(Number(scale)) ? Number(scale) : scale;
  try {
    return parseRawRegisters([spec])[0]!;
  } catch (err) {
    const why = (err as Error).message
      .split('\n')
      .slice(1, -1)
      .map((l) => l.trim().replace(/^registers\[0\][^:]*: /, ''));
    throw new RegisterSpecError(`--raw ${JSON.stringify(text)}: ${why.join('; ')}. Expected ${shape}`);
  }
}
