import type { T3PointType } from '../../../../../schema/wire/gateway.ts';
import { rangeText, unitOf, type PointMeta } from './point-units.ts';

/** The points table's filters: a point type (or all) and free text. */
export interface PointFilter {
  type: T3PointType | 'all';
  text: string;
}

/** What a row offers the text filter. */
export interface FilterablePoint extends PointMeta {
  point: string;
  label: string | null;
  /** The controller's name as the table shows it, when rows of several controllers are listed. */
  controller?: string;
}

/**
 * The rows that pass `filter`: of its type, and containing every word of its text (case-folded)
 * in the point id, label, unit, range or controller name.
 */
export function filterPoints<T extends FilterablePoint>(rows: readonly T[], filter: PointFilter): T[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (filter.type !== 'all' && r.pointType !== filter.type) return false;
    if (words.length === 0) return true;
    const haystack = [r.point, r.label ?? '', unitOf(r), rangeText(r), r.controller ?? ''].join(' ').toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Reads the filter from `?type=&q=`, so a filtered view can be linked and survives a reload. */
export function parseFilter(search: string): PointFilter {
  const q = new URLSearchParams(search);
  const type = q.get('type');
  return {
    type: type === 'IN' || type === 'OUT' || type === 'VAR' ? type : 'all',
    text: q.get('q') ?? '',
  };
}

/** The `?type=&q=` of a filter (empty parts left out), merged into `search`. */
export function formatFilter(search: string, filter: PointFilter): string {
  const q = new URLSearchParams(search);
  if (filter.type === 'all') q.delete('type');
  else q.set('type', filter.type);
  if (filter.text) q.set('q', filter.text);
  else q.delete('q');
  const s = q.toString();
  return s ? `?${s}` : '';
}
