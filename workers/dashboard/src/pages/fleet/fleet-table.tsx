import { timeAgo } from '../../format.ts';
import { celsius, DASH, duration, load, pct, rate } from './fleet-format.ts';
import type { FleetRow } from './fleet-model.ts';
import type { FleetQuery, SortKey } from './fleet-query.ts';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'status', label: 'Status' },
  { key: 'name', label: 'Name' },
  { key: 'site', label: 'Site' },
  { key: 'kind', label: 'Kind' },
  { key: 'cpu', label: 'CPU', numeric: true },
  { key: 'mem', label: 'Memory', numeric: true },
  { key: 'disk', label: 'Disk', numeric: true },
  { key: 'rx', label: 'Net in', numeric: true },
  { key: 'tx', label: 'Net out', numeric: true },
  { key: 'load1', label: 'Load', numeric: true },
  { key: 'temp', label: 'Temp', numeric: true },
  { key: 'uptime', label: 'Uptime', numeric: true },
  { key: 'agent', label: 'Agent' },
  { key: 'seen', label: 'Last seen' },
];

/** A percentage with a small bar; the bar's width is set through the CSSOM, which the CSP allows. */
function Bar({ value, testId }: { value: number | null; testId: string }) {
  const level = value === null ? '' : value >= 90 ? 'bar-high' : value >= 70 ? 'bar-mid' : '';
  return (
    <span class="meter" data-testid={testId} data-value={value ?? ''}>
      <span class="meter-text">{pct(value)}</span>
      {value === null ? null : (
        <span class="meter-track" aria-hidden="true">
          <span class={`meter-fill ${level}`} style={{ width: `${Math.min(100, Math.max(0, value))}%` }} />
        </span>
      )}
    </span>
  );
}

function Row({ row, now }: { row: FleetRow; now: number }) {
  const d = row.device;
  return (
    <tr data-testid="device-row" data-device-id={d.id}>
      <td class="status">
        <span class={`badge badge-${row.status}`} data-testid="device-status">
          {row.status}
        </span>
      </td>
      <td class="name">
        <a href={`/devices/${encodeURIComponent(d.id)}`} data-testid="device-link">
          {d.name}
        </a>
        {d.tags.length > 0 ? (
          <span class="tags">
            {d.tags.map((t) => (
              <span key={t} class="tag">
                {t}
              </span>
            ))}
          </span>
        ) : null}
      </td>
      <td class="site">{d.siteId ?? DASH}</td>
      <td class="kind">{d.kind}</td>
      <td class="num cpu">
        <Bar value={row.cpu} testId="cpu" />
      </td>
      <td class="num mem">
        <Bar value={row.mem} testId="mem" />
      </td>
      <td class="num disk">
        <Bar value={row.disk} testId="disk" />
      </td>
      <td class="num rx">{rate(row.rx)}</td>
      <td class="num tx">{rate(row.tx)}</td>
      <td class="num load">{load(row.load1)}</td>
      <td class="num temp">{celsius(row.temp)}</td>
      <td class="num uptime">{duration(row.uptime)}</td>
      <td class="agent">{d.agentVersion ?? DASH}</td>
      <td class="seen">{timeAgo(row.lastSeenAt, now)}</td>
    </tr>
  );
}

/** The fleet table: one page of rows; every column header sorts (again: reverses). */
export function FleetTable(props: { rows: FleetRow[]; query: FleetQuery; onSort(key: SortKey): void }) {
  const { query } = props;
  const now = Date.now();
  return (
    <div class="table-scroll">
      <table class="fleet-table" data-testid="device-table">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                scope="col"
                class={c.numeric ? 'num' : undefined}
                aria-sort={query.sort === c.key ? (query.desc ? 'descending' : 'ascending') : undefined}
              >
                <button type="button" class="sort" data-testid={`sort-${c.key}`} onClick={() => props.onSort(c.key)}>
                  {c.label}
                  <span class="sort-mark" aria-hidden="true">
                    {query.sort === c.key ? (query.desc ? '▼' : '▲') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <Row key={r.device.id} row={r} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
