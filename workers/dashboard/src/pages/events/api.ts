import { call } from '../../api.ts';
import type { StreamEvent } from '../../../../../schema/wire/stream.ts';

/** The filters of the events page, as they appear in its URL (all optional). */
export interface EventFilters {
  subject?: string;
  type?: string;
  /** `datetime-local` text or ISO 8601; the API takes either ISO or epoch ms. */
  from?: string;
  to?: string;
  correlationId?: string;
}

export const FILTER_KEYS = ['subject', 'type', 'from', 'to', 'correlationId'] as const;

/** One page of `GET /v1/events`, oldest first; pass `nextCursor` back for the next. */
export async function fetchEvents(
  filters: EventFilters,
  cursor: string | null,
  signal?: AbortSignal,
  limit = 50,
): Promise<{ events: StreamEvent[]; nextCursor: string | null }> {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filters[key]?.trim();
    if (!v) continue;
    q.set(key, key === 'from' || key === 'to' ? toIso(v) : v);
  }
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return call('GET', `/v1/events?${q.toString()}`, undefined, signal);
}

/** `datetime-local` values carry no zone: read them as local time, as the user typed them. */
export function toIso(value: string): string {
  if (/^\d+$/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** Reads the filters from a query string. */
export function filtersFromSearch(search: string): EventFilters {
  const q = new URLSearchParams(search);
  const out: EventFilters = {};
  for (const key of FILTER_KEYS) {
    const v = q.get(key);
    if (v) out[key] = v;
  }
  return out;
}

/** The query string for `filters` (empty values left out), so a filtered view is a deep link. */
export function searchFromFilters(filters: EventFilters): string {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filters[key]?.trim();
    if (v) q.set(key, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
