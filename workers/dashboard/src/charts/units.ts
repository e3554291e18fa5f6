/** How a chart's values read: the axis and legend formatting of one unit. */
export type Unit = 'percent' | 'bytes' | 'bytes/s' | 'per-s' | 'seconds' | 'celsius' | 'days' | 'count';

const BYTE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function bytes(v: number): string {
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < BYTE_STEPS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${BYTE_STEPS[i]}`;
}

function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v * 10) / 10);
  return String(Number(v.toPrecision(3)));
}

function seconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${short(v * 1e6)} µs`;
  if (a < 1) return `${short(v * 1e3)} ms`;
  return `${short(v)} s`;
}

/** Formats one value of `unit` for axes, legends and tooltips. */
export function formatValue(unit: Unit, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'percent':
      return `${short(v)} %`;
    case 'bytes':
      return bytes(v);
    case 'bytes/s':
      return `${bytes(v)}/s`;
    case 'per-s':
      return `${short(v)}/s`;
    case 'seconds':
      return seconds(v);
    case 'celsius':
      return `${short(v)} °C`;
    case 'days':
      return `${short(v)} d`;
    default:
      return short(v);
  }
}
