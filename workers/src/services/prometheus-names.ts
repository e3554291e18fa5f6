/**
 * Maps an Edgewatch metric name (chosen by an agent or a gateway point) to a name and type
 * that Prometheus' metric lint (`promtool check metrics`) accepts, and the value to the
 * matching base unit.
 */

/** How one metric is exposed. */
export interface ExposedMetric {
  /** `edgewatch_<name>` in snake_case, units spelled out in base units. */
  name: string;
  /** `counter` for a `_total` name, as Prometheus' convention says; else `gauge`, or `untyped`. */
  type: 'counter' | 'gauge' | 'untyped';
  /** Converts a stored value to the exposed unit. */
  convert: (value: number) => number;
  /** Whether `convert` changes values. */
  scaled: boolean;
}

interface Unit {
  to: string;
  mul: number;
  div: number;
  /** Added before scaling: temperatures. */
  offset?: number;
}

const unit = (to: string, mul = 1, div = 1, offset?: number): Unit => ({ to, mul, div, offset });

/** Prometheus' base units: kept as they are. */
const BASE = ['amperes', 'bytes', 'celsius', 'grams', 'joules', 'kelvin', 'meters', 'metres', 'seconds', 'volts'];

/** Full unit names the lint wants in a base unit instead. */
const NON_BASE: Record<string, Unit> = {
  minutes: unit('seconds', 60),
  hours: unit('seconds', 3600),
  days: unit('seconds', 86_400),
  weeks: unit('seconds', 604_800),
  kelvins: unit('kelvin'),
  fahrenheit: unit('celsius', 5, 9, -32),
  rankine: unit('celsius', 5, 9, -491.67),
  inches: unit('meters', 254, 10_000),
  yards: unit('meters', 9144, 10_000),
  miles: unit('meters', 1609.344),
  bits: unit('bytes', 1, 8),
  calories: unit('joules', 4.184),
  pounds: unit('grams', 453.59237),
  ounces: unit('grams', 28.349523125),
};

/**
 * Abbreviations the lint refuses, read as their SI symbols: `m` is metres (minutes are
 * `min`), `h` hours, `d` days, and `b`, `kb`… are bytes in decimal multiples, the reading
 * the lint's own list gives them.
 */
const ABBREVIATIONS: Record<string, Unit> = {
  s: unit('seconds'),
  sec: unit('seconds'),
  ms: unit('seconds', 1, 1e3),
  us: unit('seconds', 1, 1e6),
  ns: unit('seconds', 1, 1e9),
  h: unit('seconds', 3600),
  d: unit('seconds', 86_400),
  m: unit('meters'),
  b: unit('bytes'),
  kb: unit('bytes', 1e3),
  mb: unit('bytes', 1e6),
  gb: unit('bytes', 1e9),
  tb: unit('bytes', 1e12),
  pb: unit('bytes', 1e15),
};

/** SI and binary prefixes the lint recognises in front of a unit, as [prefix, mul, div]. */
const PREFIXES: [string, number, number][] = [
  ['pico', 1, 1e12],
  ['nano', 1, 1e9],
  ['micro', 1, 1e6],
  ['milli', 1, 1e3],
  ['centi', 1, 100],
  ['deci', 1, 10],
  ['deca', 10, 1],
  ['hecto', 100, 1],
  ['kilo', 1e3, 1],
  ['kibi', 2 ** 10, 1],
  ['mega', 1e6, 1],
  ['mibi', 2 ** 20, 1],
  ['giga', 1e9, 1],
  ['gibi', 2 ** 30, 1],
  ['tera', 1e12, 1],
  ['tebi', 2 ** 40, 1],
  ['peta', 1e15, 1],
  ['pebi', 2 ** 50, 1],
];

function unitOf(part: string): Unit | undefined {
  if (BASE.includes(part)) return undefined;
  const direct = ABBREVIATIONS[part] ?? NON_BASE[part];
  if (direct) return direct;
  for (const [prefix, mul, div] of PREFIXES) {
    if (!part.startsWith(prefix)) continue;
    const rest = part.slice(prefix.length);
    const inner = BASE.includes(rest) ? unit(rest) : NON_BASE[rest];
    if (inner && inner.offset === undefined) return unit(inner.to, mul * inner.mul, div * inner.div);
  }
  return undefined;
}

/**
 * Suffixes the lint keeps for histograms and summaries, on a gauge: exposed untyped, which
 * Prometheus treats as a gauge. (A type word inside a name, `pressure_gauge`, is still linted.)
 */
const RESERVED = /_(count|sum|bucket)$/;

/** The exposed name, type and value conversion of one metric. */
export function exposedMetric(metric: string): ExposedMetric {
  const parts = metric
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split('_');
  const steps: ((v: number) => number)[] = [];
  const renamed = parts.map((part, i) => {
    const u = unitOf(part);
    if (!u) return part;
    const per = parts[i - 1] === 'per';
    const identity = u.mul === 1 && u.div === 1 && u.offset === undefined;
    // A unit after `per` divides the value (litres per hour is 1/3600 litres per second), so it scales inversely.
    if (!identity) steps.push(per ? (v) => (v * u.div) / u.mul : (v) => ((v + (u.offset ?? 0)) * u.mul) / u.div);
    return per && u.to === 'seconds' ? 'second' : u.to;
  });
  const name = `edgewatch_${renamed.join('_')}`;
  const scaled = steps.length > 0;
  const type = name.endsWith('_total') ? 'counter' : RESERVED.test(name) ? 'untyped' : 'gauge';
  return { name, type, convert: scaled ? (v) => steps.reduce((x, f) => f(x), v) : (v) => v, scaled };
}
