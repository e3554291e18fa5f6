import { accountsApi, type CreatedInvitation, type Invitation } from './accounts-api.ts';
import { isUnauthenticated, type Role } from './api.ts';
import type { Access } from './app/access.ts';
import { h } from './dom.ts';
import { gridTable } from './grid.ts';
import {
  busy,
  confirmButton,
  errorMessage,
  field,
  formMessage,
  ListStatus,
  type Page,
  type PageContext,
} from './page-state.ts';
import { assignableRoles, roleOptions } from './roles.ts';

const when = (ts: number) => new Date(ts).toLocaleString();

/**
 * Admins' half of the members page: the invite form (email and a role up to the inviter's),
 * the one-time link it returns with a copy button, and the list of invitations with revoke.
 */
export function invitationsPanel(access: Access, ctx: PageContext): Page {
  const email = field('invite-email-input', 'Email', {
    type: 'email',
    required: true,
    'data-testid': 'invite-email-input',
  });
  const role = h('select', { id: 'invite-role-select', name: 'role', 'data-testid': 'invite-role-select' });
  roleOptions(role, assignableRoles(access.role), 'member');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'invite-submit' }, 'Create invitation');
  const message = formMessage('invite-message');
  const link = h('div', { class: 'one-time', hidden: true, 'data-testid': 'invite-link-box' });
  const form = h(
    'form',
    { class: 'inline-form', 'data-testid': 'invite-form', novalidate: true },
    email.wrap,
    h('div', { class: 'field' }, h('label', { for: 'invite-role-select' }, 'Role'), role),
    submit,
  );

  const status = new ListStatus('invitations-status');
  const body = h('tbody');
  const table = gridTable('invitations-table', ['Email', 'Role', 'Status', 'Expires', ''], body);

  async function load(): Promise<void> {
    try {
      const invitations = await accountsApi.invitations(ctx.signal);
      body.replaceChildren(...invitations.map(row));
      table.hidden = invitations.length === 0;
      status.count(invitations.length, 'No invitations yet.');
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (isUnauthenticated(err)) return ctx.onUnauthenticated();
      status.error(err, 'invitations');
    }
  }

  function row(inv: Invitation): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-testid': 'invitation-row', 'data-status': inv.status },
      h('td', { class: 'email' }, inv.email),
      h('td', {}, inv.role),
      h('td', {}, h('span', { class: `badge badge-${inv.status}` }, inv.status)),
      h('td', {}, when(inv.expiresAt)),
      h(
        'td',
        { class: 'actions' },
        inv.status === 'pending'
          ? confirmButton('Revoke', 'Really revoke?', { 'data-testid': 'invitation-revoke' }, async () => {
              try {
                await accountsApi.revokeInvitation(inv.id);
                await load();
              } catch (err) {
                if (isUnauthenticated(err)) return ctx.onUnauthenticated();
                message.error(`Could not revoke the invitation: ${errorMessage(err)}`);
              }
            })
          : null,
      ),
    );
  }

  function showLink(created: CreatedInvitation): void {
    const url = h('input', {
      type: 'text',
      readonly: true,
      value: created.url,
      'data-testid': 'invite-url',
      'aria-label': 'Invitation link',
    });
    const copy = h('button', { type: 'button', class: 'secondary', 'data-testid': 'invite-copy' }, 'Copy link');
    const copied = h('span', { class: 'hint', role: 'status' });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(created.url);
        copied.textContent = 'Copied.';
      } catch {
        // Without clipboard access (permissions, an insecure origin) the selected text can be copied by hand.
        url.select();
        copied.textContent = 'Press Ctrl+C to copy.';
      }
    });
    link.replaceChildren(
      h(
        'p',
        {},
        `Send this link to ${created.email}. It is shown only now and works until ${when(created.expiresAt)}.`,
      ),
      h('div', { class: 'copy-row' }, url, copy, copied),
    );
    link.hidden = false;
    url.select();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.clear();
    if (!email.input.value.trim()) return message.error('Enter the email address to invite.');
    await busy(submit, async () => {
      try {
        const created = await accountsApi.invite(email.input.value.trim(), role.value as Role);
        showLink(created);
        email.input.value = '';
        await load();
      } catch (err) {
        if (isUnauthenticated(err)) return ctx.onUnauthenticated();
        link.hidden = true;
        message.error(`Could not invite: ${errorMessage(err)}`);
      }
    });
  });

  void load();
  return {
    el: h(
      'section',
      { class: 'panel', 'aria-labelledby': 'invitations-title', 'data-testid': 'invitations-panel' },
      h('header', { class: 'panel-head' }, h('h2', { id: 'invitations-title' }, 'Invitations'), status.el),
      form,
      message.el,
      link,
      table,
    ),
    destroy: () => undefined,
  };
}
