/**
 * Raw Modbus register specs for the CLI and the poller. The schemas live in
 * `schema/wire/gateway.ts`, shared with the Worker (trend logs carry raw registers).
 */
import { rawRegisters, type RawRegister } from '../../../schema/wire/gateway.ts';

export {
  BYTE_ORDERS,
  DATA_TYPES,
  isWordRegister,
  rawRegister,
  rawRegisters,
  REGISTER_TABLES,
  TYPE_WORDS,
  type ByteOrder,
  type DataType,
  type RawRegister,
  type RegisterTable,
  type WordRegister,
} from '../../../schema/wire/gateway.ts';

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
