import type { FleetRow } from './fleet-model.ts';
import type { FleetQuery } from './fleet-query.ts';

function Select(props: {
  id: string;
  label: string;
  value: string;
  options: [string, string][];
  onChange(v: string): void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        data-testid={props.id}
        value={props.value}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">All</option>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

type FilterKey = 'status' | 'site' | 'tag' | 'kind';
const STATUSES: [string, string][] = [
  ['online', 'Online'],
  ['stale', 'Stale'],
  ['offline', 'Offline'],
];
const KINDS: [string, string][] = [
  ['host', 'Host'],
  ['gateway', 'Gateway'],
];

const distinct = (xs: string[]) => [...new Set(xs)].sort().map((x): [string, string] => [x, x]);

/** Text search and the status, site, tag and kind filters; options come from the fleet itself. */
export function FleetFilters(props: { rows: FleetRow[]; query: FleetQuery; onChange(q: Partial<FleetQuery>): void }) {
  const { rows, query, onChange } = props;
  const sites = distinct(rows.map((r) => r.device.siteId ?? '_')).map(([v]): [string, string] => [
    v,
    v === '_' ? 'No site' : v,
  ]);
  const selects: [FilterKey, string, [string, string][]][] = [
    ['status', 'Status', STATUSES],
    ['site', 'Site', sites],
    ['tag', 'Tag', distinct(rows.flatMap((r) => r.device.tags))],
    ['kind', 'Kind', KINDS],
  ];
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div class="field grow">
        <label for="fleet-search">Search</label>
        <input
          id="fleet-search"
          data-testid="fleet-search"
          type="search"
          placeholder="Name, id or tag"
          value={query.q}
          onInput={(e) => onChange({ q: (e.currentTarget as HTMLInputElement).value })}
        />
      </div>
      {selects.map(([key, label, options]) => (
        <Select
          key={key}
          id={`filter-${key}`}
          label={label}
          value={query[key]}
          options={options}
          onChange={(v) => onChange({ [key]: v })}
        />
      ))}
    </form>
  );
}
