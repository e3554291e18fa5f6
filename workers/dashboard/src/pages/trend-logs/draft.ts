import type { ByteOrder, DataType, RegisterTable, T3PointType } from '../../../../../schema/wire/gateway.ts';
import type { TrendLogBody, TrendLogView } from '../sites/api.ts';

/**
 * The trend-log editor's state and its translation to the API's body. The option lists repeat
 * schema/wire/gateway.ts's (checked against its types): importing its values would ship zod in
 * the dashboard for a few strings.
 */

export const POINT_TYPES = ['IN', 'OUT', 'VAR'] as const satisfies readonly T3PointType[];
export const POINT_COUNTS: Record<T3PointType, number> = { IN: 64, OUT: 64, VAR: 128 };
export const REGISTERS = ['holding', 'input', 'coil', 'discrete'] as const satisfies readonly RegisterTable[];
export const DATA_TYPES = [
  'INT16',
  'UINT16',
  'INT32',
  'UINT32',
  'INT64',
  'UINT64',
  'FLOAT32',
  'FLOAT64',
] as const satisfies readonly DataType[];
export const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB', 'AB', 'BA'] as const satisfies readonly ByteOrder[];

/** One raw register row, Telegraf-style, as the inputs hold it. */
export interface RegisterDraft {
  controllerId: string;
  name: string;
  register: RegisterTable;
  address: string;
  type: DataType;
  byteOrder: ByteOrder | '';
  scale: string;
}

export interface TrendLogDraft {
  name: string;
  intervalSeconds: string;
  siteId: string;
  /** Picked points as `<controllerId> <point>`, in the order picked. */
  points: string[];
  registers: RegisterDraft[];
  bacnet: BacnetDraft[];
}

/** One BACnet object row: a controller of the site and `<type>:<instance>` as typed. */
export interface BacnetDraft {
  controllerId: string;
  object: string;
}

export const pointKey = (controllerId: string, point: string): string => `${controllerId} ${point}`;

export const emptyDraft = (siteId = ''): TrendLogDraft => ({
  name: '',
  intervalSeconds: '60',
  siteId,
  points: [],
  registers: [],
  bacnet: [],
});

export const emptyRegister = (controllerId: string): RegisterDraft => ({
  controllerId,
  name: '',
  register: 'holding',
  address: '',
  type: 'UINT16',
  byteOrder: '',
  scale: '',
});

/** The editor's state of a stored trend log. */
export function draftOf(view: TrendLogView): TrendLogDraft {
  return {
    name: view.name,
    intervalSeconds: String(view.intervalSeconds),
    siteId: view.siteId ?? '',
    points: view.points.map((p) => pointKey(p.controllerId, p.point)),
    registers: view.registers.map(({ controllerId, spec }) => ({
      controllerId,
      name: spec.name,
      register: spec.register,
      address: String(spec.address),
      type: 'type' in spec ? spec.type : 'UINT16',
      byteOrder: 'byteOrder' in spec && spec.byteOrder ? spec.byteOrder : '',
      scale: spec.scale === undefined ? '' : String(spec.scale),
    })),
    bacnet: (view.bacnet ?? []).map((b) => ({ ...b })),
  };
}

/** A number typed in an input: '' stays out; anything else is sent as typed so the API can name it. */
const typed = (text: string): number => (text.trim() === '' ? NaN : Number(text));

/** The API's body of a draft; what the inputs cannot hold as numbers goes as null for the API to refuse by field. */
export function bodyOf(d: TrendLogDraft): TrendLogBody {
  return {
    name: d.name.trim(),
    intervalSeconds: typed(d.intervalSeconds),
    ...(d.siteId ? { siteId: d.siteId } : {}),
    points: d.points.map((key) => {
      const [controllerId, point] = key.split(' ') as [string, string];
      return { controllerId, point };
    }),
    registers: d.registers.map((r) => {
      const word = r.register === 'holding' || r.register === 'input';
      const spec = {
        name: r.name.trim(),
        register: r.register,
        address: typed(r.address),
        ...(word ? { type: r.type, ...(r.byteOrder ? { byteOrder: r.byteOrder } : {}) } : {}),
        ...(r.scale.trim() ? { scale: typed(r.scale) } : {}),
      };
      return { controllerId: r.controllerId, spec: spec as TrendLogBody['registers'][number]['spec'] };
    }),
    bacnet: d.bacnet.map((b) => ({ controllerId: b.controllerId, object: b.object.trim() })),
  };
}

/** The points of one type of a controller (`IN1`…`IN64`). */
export const pointsOfType = (type: T3PointType): string[] =>
  Array.from({ length: POINT_COUNTS[type] }, (_, i) => `${type}${i + 1}`);

/** Picks (or, with `on` false, drops) every point of `type` of a controller: the "all IN points of X" shortcut. */
export function pickAll(picked: readonly string[], controllerId: string, type: T3PointType, on: boolean): string[] {
  const keys = pointsOfType(type).map((p) => pointKey(controllerId, p));
  if (!on) {
    const drop = new Set(keys);
    return picked.filter((k) => !drop.has(k));
  }
  const have = new Set(picked);
  return [...picked, ...keys.filter((k) => !have.has(k))];
}

/** Picks or drops one point. */
export function togglePoint(picked: readonly string[], key: string, on: boolean): string[] {
  if (on) return picked.includes(key) ? [...picked] : [...picked, key];
  return picked.filter((k) => k !== key);
}

/** How many points of a controller are picked, by type. */
export function pickedCounts(picked: readonly string[], controllerId: string): Record<T3PointType, number> {
  const counts: Record<T3PointType, number> = { IN: 0, OUT: 0, VAR: 0 };
  const prefix = `${controllerId} `;
  for (const k of picked) {
    if (!k.startsWith(prefix)) continue;
    const type = /^(IN|OUT|VAR)/.exec(k.slice(prefix.length))?.[1] as T3PointType | undefined;
    if (type) counts[type]++;
  }
  return counts;
}
