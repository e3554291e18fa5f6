import type { DeviceView } from '../../../schema/wire/telemetry.ts';
import { h, setText } from './dom.ts';
import { clock, timeAgo } from './format.ts';

interface Row {
  tr: HTMLTableRowElement;
  name: HTMLElement;
  kind: HTMLElement;
  badge: HTMLElement;
  seen: HTMLElement;
  agent: HTMLElement;
  device: DeviceView;
}

/** The fleet table: one keyed row per device, updated in place so focus and selection survive refreshes. */
export class DeviceList {
  readonly el: HTMLElement;
  #body: HTMLTableSectionElement;
  #empty: HTMLElement;
  #rows = new Map<string, Row>();
  #selected: string | null = null;
  #onSelect: (device: DeviceView) => void;

  constructor(onSelect: (device: DeviceView) => void) {
    this.#onSelect = onSelect;
    this.#body = h('tbody');
    this.#empty = h('p', { class: 'empty', hidden: true }, 'No devices yet. Enroll an agent to see it here.');
    this.el = h(
      'div',
      { class: 'device-list' },
      h(
        'table',
        { class: 'devices', 'data-testid': 'device-table' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Name', 'Kind', 'Status', 'Last seen', 'Agent'].map((t) => h('th', { scope: 'col' }, t))),
        ),
        this.#body,
      ),
      this.#empty,
    );
  }

  get devices(): DeviceView[] {
    return [...this.#rows.values()].map((r) => r.device);
  }

  /** Shows `devices` in the order given, reusing rows by id. */
  update(devices: DeviceView[], now = Date.now()): void {
    const seen = new Set<string>();
    for (const [i, d] of devices.entries()) {
      seen.add(d.id);
      const row = this.#rows.get(d.id) ?? this.#createRow(d);
      row.device = d;
      this.#fill(row, now);
      if (this.#body.children[i] !== row.tr) this.#body.insertBefore(row.tr, this.#body.children[i] ?? null);
    }
    for (const [id, row] of this.#rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        this.#rows.delete(id);
      }
    }
    this.#empty.hidden = devices.length > 0;
  }

  /** Refreshes the "… ago" cells between fetches. */
  tick(now = Date.now()): void {
    for (const row of this.#rows.values()) setText(row.seen, timeAgo(row.device.lastSeenAt, now));
  }

  select(id: string | null): void {
    this.#selected = id;
    for (const [rowId, row] of this.#rows) {
      const on = rowId === id;
      row.tr.classList.toggle('selected', on);
      row.tr.setAttribute('aria-selected', String(on));
    }
  }

  #createRow(device: DeviceView): Row {
    const cell = (cls: string) => h('td', { class: cls });
    const name = cell('name');
    const kind = cell('kind');
    const badge = h('span', { class: 'badge', 'data-testid': 'device-status' });
    const seen = cell('seen');
    const agent = cell('agent');
    const tr = h(
      'tr',
      { 'data-testid': 'device-row', 'data-device-id': device.id, tabindex: 0, 'aria-selected': 'false' },
      name,
      kind,
      h('td', { class: 'status' }, badge),
      seen,
      agent,
    );
    const row: Row = { tr, name, kind, badge, seen, agent, device };
    tr.addEventListener('click', () => this.#onSelect(row.device));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        this.#onSelect(row.device);
      }
    });
    this.#rows.set(device.id, row);
    if (device.id === this.#selected) tr.classList.add('selected');
    return row;
  }

  #fill(row: Row, now: number): void {
    const d = row.device;
    setText(row.name, d.name);
    row.name.title = d.name;
    setText(row.kind, d.kind);
    setText(row.badge, d.status);
    row.badge.className = `badge badge-${d.status}`;
    setText(row.seen, timeAgo(d.lastSeenAt, now));
    row.seen.title = d.lastSeenAt === null ? '' : clock(d.lastSeenAt);
    setText(row.agent, d.agentVersion ?? '—');
    row.tr.setAttribute('aria-selected', String(d.id === this.#selected));
    row.tr.classList.toggle('selected', d.id === this.#selected);
  }
}
