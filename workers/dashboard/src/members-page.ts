import { accountsApi, type Member } from './accounts-api.ts';
import { ApiError, type Role } from './api.ts';
import type { Access } from './app/access.ts';
import { h } from './dom.ts';
import { failureReporter, gridTable, listLoader } from './grid.ts';
import { invitationsPanel } from './invitations-panel.ts';
import { confirmButton, formMessage, ListStatus, type Page, type PageContext } from './page-state.ts';
import { assignableRoles, roleOptions } from './roles.ts';

const day = (ts: number) => new Date(ts).toLocaleDateString();

/**
 * `#/members`: the organisation's members, and for admins the controls to change roles,
 * remove members and invite (see invitations-panel.ts). Everyone may leave. Controls the
 * caller's role may not use are not rendered at all; the API refuses them regardless.
 */
export function membersPage(access: Access, ctx: PageContext, reloadApp: () => void): Page {
  const canManage = access.can('members.manage');
  const canOwn = access.can('org.own');
  const status = new ListStatus('members-status');
  const message = formMessage('members-message');
  const body = h('tbody');
  const table = gridTable('members-table', ['Name', 'Email', 'Role', 'Joined', ''], body);
  const fail = failureReporter(ctx, message);
  const load = listLoader({
    ctx,
    status,
    table,
    body,
    fetch: (signal) => accountsApi.members(signal),
    row: (m: Member) => row(m),
    empty: 'No members.',
    what: 'members',
  });

  function row(m: Member): HTMLTableRowElement {
    const self = m.userId === access.me.userId;
    const mayTouch = canManage && !self && (m.role !== 'owner' || canOwn);
    return h(
      'tr',
      { 'data-testid': 'member-row', 'data-user-id': m.userId },
      h('td', {}, m.name ?? ''),
      h('td', { class: 'email' }, m.email),
      h('td', {}, mayTouch ? roleSelect(m) : h('span', { class: 'role', 'data-testid': 'member-role' }, m.role)),
      h('td', {}, day(m.joinedAt)),
      h('td', { class: 'actions' }, ...actions(m, self, mayTouch)),
    );
  }

  function roleSelect(m: Member): HTMLSelectElement {
    const select = h('select', {
      'data-testid': 'member-role-select',
      'aria-label': `Role of ${m.email}`,
    });
    // An owner's select offers owner; an admin's never does (making an owner needs org.own).
    roleOptions(select, assignableRoles(access.role), m.role);
    select.addEventListener('change', async () => {
      select.disabled = true;
      message.clear();
      try {
        await accountsApi.setRole(m.userId, select.value as Role);
        message.ok(`${m.email} is now ${select.value}.`);
        await load();
      } catch (err) {
        select.value = m.role;
        fail(err, `Could not change the role of ${m.email}`);
      } finally {
        select.disabled = false;
      }
    });
    return select;
  }

  function actions(m: Member, self: boolean, mayTouch: boolean): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (canOwn && !self && m.role !== 'owner') {
      out.push(
        confirmButton('Make owner', 'Transfer ownership?', { 'data-testid': 'member-transfer' }, async () => {
          try {
            await accountsApi.transferOwnership(m.userId);
            reloadApp(); // the caller is an admin now: every page's controls change
          } catch (err) {
            fail(err, 'Could not transfer ownership');
          }
        }),
      );
    }
    if (mayTouch) {
      out.push(
        confirmButton('Remove', 'Really remove?', { 'data-testid': 'member-remove' }, async () => {
          try {
            await accountsApi.removeMember(m.userId);
            message.ok(`${m.email} was removed.`);
            await load();
          } catch (err) {
            fail(err, `Could not remove ${m.email}`);
          }
        }),
      );
    }
    if (self) {
      out.push(
        confirmButton('Leave', 'Really leave?', { 'data-testid': 'member-leave' }, async () => {
          try {
            await accountsApi.leave();
          } catch (err) {
            if (err instanceof ApiError && err.code === 'last_owner')
              return message.error('You are the last owner: make someone else owner before leaving.');
            return fail(err, 'Could not leave');
          }
          // Leaving ends this session; the user signs in again to reach their other organisations.
          const org = access.me.orgName ?? 'the organisation';
          ctx.signedOut(`You left ${org}.`);
        }),
      );
    }
    return out;
  }

  const members = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'members-title' },
    h('header', { class: 'panel-head' }, h('h2', { id: 'members-title' }, 'Members'), status.el),
    message.el,
    table,
  );
  const invitations = canManage ? invitationsPanel(access, ctx) : null;
  void load();
  return {
    el: h('main', { class: 'stack', 'data-testid': 'members-page' }, members, invitations?.el),
    destroy: () => invitations?.destroy(),
  };
}
