import type { Row } from './types.ts';

const COLUMNS: Array<{ title: string; right?: boolean; cell: (r: Row) => string }> = [
  { title: 'benchmark', cell: (r) => r.benchmark },
  { title: 'system', cell: (r) => r.system },
  { title: 'samples/s', right: true, cell: (r) => num(r.samplesPerSec, 0) },
  { title: 'p50 ms', right: true, cell: (r) => num(r.p50Ms, 1) },
  { title: 'p99 ms', right: true, cell: (r) => num(r.p99Ms, 1) },
  { title: 'CPU s', right: true, cell: (r) => num(r.cpuSeconds, 2) },
  { title: 'peak RSS MiB', right: true, cell: (r) => num(r.peakRssMiB, 1) },
  { title: 'vs peer', right: true, cell: (r) => (r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}x`) },
  { title: 'notes', cell: (r) => r.notes },
];

function num(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain-text table that reads the same in a terminal, a CI log, or pasted into Markdown code. */
export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (COLUMNS[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
