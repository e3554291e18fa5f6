import { accountsApi, type AuditEntry, type AuditQuery } from './accounts-api.ts';
import { isUnauthenticated } from './api.ts';
import { h } from './dom.ts';
import { gridTable } from './grid.ts';
import { busy, field, ListStatus, type Page, type PageContext } from './page-state.ts';

const PAGE_SIZE = 50;

/** "role user usr_…" or "api_key key_… (read, write)": who acted, as the audit row says. */
export function actorText(a: AuditEntry['actor']): string {
  const how = a.role ?? (a.scopes?.length ? `scopes ${a.scopes.join(', ')}` : '');
  return `${a.type} ${a.id}${how ? ` (${how})` : ''}`;
}

/** The changed fields as "name: before → after", one per line; secrets never reach this row. */
export function changesText(changes: AuditEntry['changes']): string {
  if (!changes) return '';
  const keys = new Set([...Object.keys(changes.before ?? {}), ...Object.keys(changes.after ?? {})]);
  const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));
  return [...keys].map((k) => `${k}: ${show(changes.before?.[k])} → ${show(changes.after?.[k])}`).join('\n');
}

/** A `datetime-local` value as epoch ms, which the API takes for `from`/`to`; '' stays unset. */
const localTime = (value: string): string => (value ? String(new Date(value).getTime()) : '');

/**
 * `#/audit` (admins): the audit log, newest first, with filters (actor, action, target, time
 * range) and "load more" following `nextCursor`.
 */
export function auditPage(ctx: PageContext): Page {
  const actor = field('audit-actor', 'Actor id', { placeholder: 'usr_… or key_…', 'data-testid': 'audit-actor' });
  const action = field('audit-action', 'Action', { placeholder: 'e.g. updateDevice', 'data-testid': 'audit-action' });
  const targetType = field('audit-target-type', 'Target type', {
    placeholder: 'e.g. member',
    'data-testid': 'audit-target-type',
  });
  const targetId = field('audit-target-id', 'Target id', { 'data-testid': 'audit-target-id' });
  const from = field('audit-from', 'From', { type: 'datetime-local', 'data-testid': 'audit-from' });
  const to = field('audit-to', 'To', { type: 'datetime-local', 'data-testid': 'audit-to' });
  const apply = h('button', { type: 'submit', class: 'primary', 'data-testid': 'audit-apply' }, 'Filter');
  const filters = h(
    'form',
    { class: 'inline-form filters', 'data-testid': 'audit-filters', 'aria-label': 'Audit log filters' },
    actor.wrap,
    action.wrap,
    targetType.wrap,
    targetId.wrap,
    from.wrap,
    to.wrap,
    apply,
  );

  const status = new ListStatus('audit-status');
  const body = h('tbody');
  const table = gridTable(
    'audit-table',
    ['Time', 'Actor', 'Action', 'Target', 'Outcome', 'From', 'Changes'],
    body,
    'grid audit',
  );
  const more = h(
    'button',
    { type: 'button', class: 'secondary', 'data-testid': 'audit-more', hidden: true },
    'Load more',
  );
  let cursor: string | null = null;
  let shown = 0;
  let generation = 0;

  const query = (): AuditQuery => ({
    actor: actor.input.value.trim(),
    action: action.input.value.trim(),
    targetType: targetType.input.value.trim(),
    targetId: targetId.input.value.trim(),
    from: localTime(from.input.value),
    to: localTime(to.input.value),
    limit: PAGE_SIZE,
  });

  /** Loads the first page (`append` false) or the next one; a newer filter wins over a slower answer. */
  async function load(append: boolean): Promise<void> {
    const mine = ++generation;
    if (!append) {
      status.loading();
      cursor = null;
    }
    try {
      const page = await accountsApi.audit({ ...query(), ...(append && cursor ? { cursor } : {}) }, ctx.signal);
      if (mine !== generation) return;
      if (!append) {
        body.replaceChildren();
        shown = 0;
      }
      body.append(...page.entries.map(row));
      shown += page.entries.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      table.hidden = shown === 0;
      status.count(shown, 'No audit entries match.');
    } catch (err) {
      if (ctx.signal.aborted || mine !== generation) return;
      if (isUnauthenticated(err)) return ctx.onUnauthenticated();
      status.error(err, 'the audit log');
    }
  }

  function row(e: AuditEntry): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'audit-row', 'data-action': e.action, 'data-outcome': e.outcome, 'data-actor': e.actor.id },
      h('td', { class: 'nowrap' }, new Date(e.ts).toLocaleString()),
      h('td', {}, actorText(e.actor)),
      h('td', {}, e.action),
      h('td', {}, `${e.target.type}${e.target.id ? ` ${e.target.id}` : ''}`),
      h('td', {}, h('span', { class: `badge badge-${e.outcome === 'success' ? 'online' : 'offline'}` }, e.outcome)),
      h('td', { title: e.userAgent ?? '' }, e.clientAddress ?? '—'),
      h('td', { class: 'changes' }, changesText(e.changes)),
    );
  }

  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(apply, () => load(false));
  });
  more.addEventListener('click', () => void busy(more, () => load(true)));
  void load(false);

  return {
    el: h(
      'main',
      { class: 'stack', 'data-testid': 'audit-page' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'audit-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'audit-title' }, 'Audit log'), status.el),
        filters,
        table,
        more,
      ),
    ),
    destroy: () => undefined,
  };
}
