import { accountsApi } from './accounts-api.ts';
import type { Me } from './api.ts';
import { h } from './dom.ts';
import { errorMessage } from './page-state.ts';

/**
 * The organisation in the header: its name, and a select of the user's other organisations
 * (from `GET /v1/auth/me`'s `orgs`) when there are any. Choosing one moves the session there
 * (`POST /v1/auth/switch-org`), then `onSwitched` reloads the app's data.
 */
export function orgSwitcher(me: Me, onSwitched: () => void, onError: (message: string) => void): HTMLElement {
  const name = h('span', { class: 'org', 'data-testid': 'org-name' }, me.orgName ?? me.orgId);
  const orgs = me.orgs ?? [];
  if (orgs.length < 2) return name;

  const select = h('select', { id: 'org-switch', 'data-testid': 'org-switch', 'aria-label': 'Organisation' });
  for (const org of orgs) {
    select.append(h('option', { value: org.id, selected: org.id === me.orgId }, `${org.name} (${org.role})`));
  }
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      await accountsApi.switchOrg(select.value);
      onSwitched();
    } catch (err) {
      select.value = me.orgId;
      onError(`Could not switch organisation: ${errorMessage(err)}`);
    } finally {
      select.disabled = false;
    }
  });
  // The name stays in the page (hidden) so the current organisation is always readable by tests and tools.
  name.classList.add('visually-hidden');
  return h('span', { class: 'org-switch' }, name, select);
}
