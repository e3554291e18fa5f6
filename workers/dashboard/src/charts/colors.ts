/** How many distinct series colours `chart.css` defines (`--series-1` … `--series-8`). */
const PALETTE_SIZE = 8;
const FALLBACK = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

/** Reads a CSS custom property of the document, so charts follow the light or dark theme. */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The colour of the `i`-th series of a chart; the palette repeats past its size. */
export function seriesColor(i: number): string {
  const n = i % PALETTE_SIZE;
  return cssVar(`--series-${n + 1}`, FALLBACK[n]!);
}
