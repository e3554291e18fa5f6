import type { FleetRow } from './fleet-model.ts';

/** The table's columns that sort; `key` is also the `sort` URL parameter. */
export const SORT_KEYS = [
  'status',
  'name',
  'site',
  'kind',
  'cpu',
  'mem',
  'disk',
  'rx',
  'tx',
  'load1',
  'temp',
  'uptime',
  'agent',
  'seen',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Filters, sort and page: kept in the URL so a filtered view is a link. */
export interface FleetQuery {
  q: string;
  status: string;
  site: string;
  tag: string;
  kind: string;
  sort: SortKey;
  desc: boolean;
  page: number;
}

/** Reads the query from `location.search`. */
export function parseQuery(search: string): FleetQuery {
  const p = new URLSearchParams(search);
  const sort = p.get('sort') as SortKey | null;
  return {
    q: p.get('q') ?? '',
    status: p.get('status') ?? '',
    site: p.get('site') ?? '',
    tag: p.get('tag') ?? '',
    kind: p.get('kind') ?? '',
    sort: sort && SORT_KEYS.includes(sort) ? sort : 'name',
    desc: p.get('dir') === 'desc',
    page: Math.max(0, Number(p.get('page') ?? 1) - 1) || 0,
  };
}

/** The URL search for a query, leaving defaults out. */
export function queryString(q: FleetQuery): string {
  const p = new URLSearchParams();
  for (const k of ['q', 'status', 'site', 'tag', 'kind'] as const) if (q[k]) p.set(k, q[k]);
  if (q.sort !== 'name') p.set('sort', q.sort);
  if (q.desc) p.set('dir', 'desc');
  if (q.page > 0) p.set('page', String(q.page + 1));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const STATUS_ORDER = { online: 0, stale: 1, offline: 2 } as const;

function sortValue(row: FleetRow, key: SortKey): string | number | null {
  switch (key) {
    case 'status':
      return STATUS_ORDER[row.status];
    case 'name':
      return row.device.name.toLowerCase();
    case 'site':
      return row.device.siteId;
    case 'kind':
      return row.device.kind;
    case 'agent':
      return row.device.agentVersion;
    case 'seen':
      return row.lastSeenAt;
    default:
      return row[key];
  }
}

/** Rows passing the filters, sorted; rows without a value sort last either way. */
export function applyQuery(rows: FleetRow[], q: FleetQuery): FleetRow[] {
  const text = q.q.trim().toLowerCase();
  const kept = rows.filter(
    (r) =>
      (!q.status || r.status === q.status) &&
      (!q.site || (r.device.siteId ?? '') === (q.site === '_' ? '' : q.site)) &&
      (!q.tag || r.device.tags.includes(q.tag)) &&
      (!q.kind || r.device.kind === q.kind) &&
      (!text ||
        r.device.name.toLowerCase().includes(text) ||
        r.device.id.toLowerCase().includes(text) ||
        r.device.tags.some((t) => t.toLowerCase().includes(text))),
  );
  const dir = q.desc ? -1 : 1;
  return kept.sort((a, b) => {
    const x = sortValue(a, q.sort);
    const y = sortValue(b, q.sort);
    if (x === y) return a.device.name < b.device.name ? -1 : a.device.name > b.device.name ? 1 : 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}
