import { useEffect, useState } from 'preact/hooks';
import type { AlertRuleView, SilenceMatcher } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import type { Access } from '../../app/access.ts';
import { TableHead } from '../../app/table-head.tsx';
import { location$ } from '../../app/router.ts';
import { ListState, useLoaded } from '../../app/list-shell.tsx';
import { formError, type FormError } from '../device/field-error.ts';
import { alertsApi, type SilenceState } from './api.ts';
import { AlertsTabs, deviceName, useDevices, when } from './bits.tsx';
import { SilenceForm } from './silence-form.tsx';
import { matchersFromSearch } from './silence-draft.ts';
import './alerts.css';

const STATES: [SilenceState | 'all', string][] = [
  ['active', 'Active'],
  ['pending', 'Starting later'],
  ['expired', 'Expired'],
  ['all', 'All'],
];

/** A matcher in words, with rule and device names where they are known. */
export function matcherText(
  m: SilenceMatcher,
  rules: readonly AlertRuleView[] | null,
  devices: readonly DeviceView[] | null,
) {
  const value =
    m.field === 'rule'
      ? (rules?.find((r) => r.id === m.value)?.name ?? m.value)
      : m.field === 'device'
        ? deviceName(devices, m.value)
        : m.value;
  return `${m.field} = ${value}`;
}

/** `/silences`: create a silence (pre-filled by "silence similar"), list them by state, end one now. */
export function SilencesPage({ access }: { access: Access }) {
  const prefill = matchersFromSearch(location$.value.search);
  const devices = useDevices();
  const [rules, setRules] = useState<AlertRuleView[] | null>(null);
  const [state, setState] = useState<SilenceState | 'all'>('active');
  const { value: items, error: loadError, reload } = useLoaded((signal) => alertsApi.silences(state, signal), [state]);
  const [error, setError] = useState<FormError | null>(null);
  const [ending, setEnding] = useState<string | null>(null);
  const canRespond = access.can('alerts.respond');

  useEffect(() => {
    alertsApi.rules().then(setRules, () => setRules([]));
  }, []);

  const end = (id: string) => {
    setEnding(id);
    setError(null);
    alertsApi
      .endSilence(id)
      .then(
        () => reload(),
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setEnding(null));
  };

  return (
    <main class="page alerts-page" aria-busy={items === null && !loadError}>
      <h1>Alerts</h1>
      <AlertsTabs current="silences" access={access} />
      {canRespond && (
        <SilenceForm
          key={location$.value.search}
          initial={prefill}
          rules={rules}
          devices={devices}
          onCreated={() => (state === 'active' || state === 'all' ? reload() : setState('active'))}
        />
      )}
      <section class="card" aria-labelledby="silences-title">
        <div class="card-head">
          <h2 id="silences-title">Silences</h2>
          <label>
            Show{' '}
            <select
              value={state}
              onChange={(e) => setState(e.currentTarget.value as SilenceState | 'all')}
              data-testid="silences-state"
            >
              {STATES.map(([v, t]) => (
                <option key={v} value={v}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error.message}
          </p>
        )}
        <ListState
          items={items}
          error={loadError}
          noun="silences"
          errorTestId="silences-error"
          emptyTestId="silences-empty"
          empty={<>No {state === 'all' ? '' : `${STATES.find(([v]) => v === state)![1].toLowerCase()} `}silences.</>}
        >
          {(items) => (
            <table class="grid" data-testid="silence-list">
              <TableHead columns={['State', 'Matches', 'From', 'Until', 'Comment']} />
              <tbody>
                {items.map((s) => {
                  const st = s.state;
                  return (
                    <tr key={s.id} data-testid="silence-row" data-id={s.id} data-state={st}>
                      <td>
                        <span class={`badge silence-${st}`}>{st}</span>
                      </td>
                      <td>
                        <ul class="chips">
                          {s.matchers.map((m, i) => (
                            <li key={i} class="chip">
                              {matcherText(m, rules, devices)}
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td class="nowrap">{when(s.startsAt)}</td>
                      <td class="nowrap">{when(s.endsAt)}</td>
                      <td data-testid="silence-comment">{s.comment ?? ''}</td>
                      <td class="actions">
                        {canRespond && st !== 'expired' && (
                          <button
                            type="button"
                            class="device-secondary"
                            disabled={ending === s.id}
                            onClick={() => end(s.id)}
                            data-testid="silence-end"
                          >
                            End now
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </ListState>
      </section>
    </main>
  );
}
