/**
 * The BACnet objects the gateway reads, by name, and how their present values become numbers.
 * Kept apart from the client so naming an object does not load the BACnet library.
 */

/**
 * Object types whose `presentValue` is a number or a binary state, with their numbers in
 * ASHRAE 135 (`ObjectType` in @bacnet-js/client; a test holds the two equal).
 */
export const BACNET_OBJECT_TYPES = {
  'analog-input': 0,
  'analog-output': 1,
  'analog-value': 2,
  'binary-input': 3,
  'binary-output': 4,
  'binary-value': 5,
  'multi-state-input': 13,
  'multi-state-output': 14,
  'multi-state-value': 19,
} as const;
export type BacnetObjectTypeName = keyof typeof BACNET_OBJECT_TYPES;

/** `presentValue` (ASHRAE 135 property 85). */
export const PRESENT_VALUE = 85;

/** One object of a device: `{ type: 'analog-input', instance: 3 }`. */
export interface BacnetObjectRef {
  type: BacnetObjectTypeName;
  /** Object instance, 0…4194302. */
  instance: number;
}

/** Parses `analog-input:3` (the form the CLI and labels use). */
export function parseObjectRef(text: string): BacnetObjectRef {
  const m = /^([a-z-]+):(\d{1,7})$/.exec(text.trim());
  const type = m?.[1];
  const instance = Number(m?.[2]);
  if (!m || !isObjectTypeName(type) || instance > 4_194_302) {
    const names = Object.keys(BACNET_OBJECT_TYPES).join(', ');
    throw new Error(
      `BACnet object must be <type>:<instance> with type one of ${names}, e.g. analog-input:3; got ${JSON.stringify(text)}`,
    );
  }
  return { type, instance };
}

/** `analog-input:3`: a stable label value for the object. */
export function formatObjectRef(ref: BacnetObjectRef): string {
  return `${ref.type}:${ref.instance}`;
}

function isObjectTypeName(name: string | undefined): name is BacnetObjectTypeName {
  return name !== undefined && Object.hasOwn(BACNET_OBJECT_TYPES, name);
}

/** The application-tagged value the library decodes: `{ type: <ApplicationTag>, value }`. */
export interface TaggedValue {
  type: number;
  value: unknown;
}

/** ApplicationTag REAL: a 32-bit float on the wire. */
const TAG_REAL = 4;

/**
 * A present value as a number: REAL as the shortest decimal that is the same 32-bit float (21.3,
 * not 21.299999237060547), DOUBLE and integers as they are, BOOLEAN and binary ENUMERATED
 * (inactive 0, active 1) as 0/1. Anything else (NULL, strings) has no numeric meaning: `null`.
 */
export function presentValueNumber(values: readonly TaggedValue[]): number | null {
  const first = values[0];
  if (values.length !== 1 || first === undefined) return null;
  const v = first.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return first.type === TAG_REAL ? shortestFloat32(v) : v;
}

/** The shortest decimal that reads back as the same float32 (at most 9 significant digits do). */
export function shortestFloat32(v: number): number {
  const f = Math.fround(v);
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}
