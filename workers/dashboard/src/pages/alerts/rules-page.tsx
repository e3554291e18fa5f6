import { useEffect, useState } from 'preact/hooks';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { errorMessage } from '../../page-state.ts';
import { alertsApi } from './api.ts';
import { AlertsTabs, deviceName, useDevices } from './bits.tsx';
import { describeRule, matchersText } from './rule-draft.ts';
import './alerts.css';

/** `/alerts/rules`: every rule with what it watches; admins add and edit them. */
export function AlertRulesPage({ access }: { access: Access }) {
  const [rules, setRules] = useState<AlertRuleView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const devices = useDevices();
  const canWrite = access.can('alerts.write');

  useEffect(() => {
    const ctl = new AbortController();
    alertsApi.rules(ctl.signal).then(
      (r) => setRules([...r].sort((a, b) => a.name.localeCompare(b.name))),
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, []);

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
        {error ? (
          <p class="form-error" role="alert" data-testid="rules-error">
            Could not load rules: {errorMessage(error)}
          </p>
        ) : rules === null ? (
          <p class="muted">Loading rules…</p>
        ) : rules.length === 0 ? (
          <p class="empty" data-testid="rules-empty">
            No rules yet.
            {canWrite ? ' Add one to be told when a value crosses a threshold or a device goes quiet.' : ''}
          </p>
        ) : (
          <div class="table-scroll">
            <table class="grid" data-testid="rule-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Watches</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Enabled</th>
                </tr>
              </thead>
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
          </div>
        )}
      </section>
    </main>
  );
}
