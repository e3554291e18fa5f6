import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import { TableHead } from '../../app/table-head.tsx';
import type { Access } from '../../app/access.ts';
import { ListState, useLoaded } from '../../app/list-shell.tsx';
import { alertsApi } from './api.ts';
import { AlertsTabs, deviceName, useDevices } from './bits.tsx';
import { describeRule, matchersText } from './rule-draft.ts';
import './alerts.css';

/** `/alerts/rules`: every rule with what it watches; admins add and edit them. */
export function AlertRulesPage({ access }: { access: Access }) {
  const { value: rules, error } = useLoaded(
    (signal) => alertsApi.rules(signal).then((r) => [...r].sort((a, b) => a.name.localeCompare(b.name))),
    [],
  );
  const devices = useDevices();
  const canWrite = access.can('alerts.write');

  const scope = (r: AlertRuleView) =>
    r.scope.kind === 'org'
      ? 'every device'
      : r.scope.kind === 'device'
        ? `device ${deviceName(devices, r.scope.value ?? '')}`
        : `${r.scope.kind} ${r.scope.value ?? ''}`;

  return (
    <main class="page alerts-page" aria-busy={rules === null && !error}>
      <h1>Alerts</h1>
      <AlertsTabs current="rules" access={access} />
      <section class="card" aria-labelledby="rules-title">
        <div class="card-head">
          <h2 id="rules-title">Rules</h2>
          {canWrite && (
            <a class="button-link primary" href="/alerts/rules/new" data-testid="rule-new">
              New rule
            </a>
          )}
        </div>
        <ListState
          items={rules}
          error={error}
          noun="rules"
          errorTestId="rules-error"
          emptyTestId="rules-empty"
          empty={
            <>
              No rules yet.
              {canWrite ? ' Add one to be told when a value crosses a threshold or a device goes quiet.' : ''}
            </>
          }
        >
          {(rules) => (
            <table class="grid" data-testid="rule-list">
              <TableHead columns={['Name', 'Watches', 'Scope', 'Enabled']} actions={false} />
              <tbody>
                {rules.map((r) => (
                  <tr key={r.id} data-testid="rule-row" data-id={r.id}>
                    <td>
                      <a href={`/alerts/rules/${encodeURIComponent(r.id)}`} data-testid="rule-link">
                        {r.name}
                      </a>
                    </td>
                    <td>
                      <code>{describeRule(r)}</code>
                      {r.matchers.length > 0 && <div class="hint">{matchersText(r.matchers)}</div>}
                    </td>
                    <td>{scope(r)}</td>
                    <td>{r.enabled ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ListState>
      </section>
    </main>
  );
}
