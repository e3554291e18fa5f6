import { RevokeButton } from '../../app/revoke-button.tsx';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../api.ts';
import { FieldMessage, FormMessage } from '../../app/form-messages.tsx';
import { TableHead } from '../../app/table-head.tsx';
import { CopyField } from '../add-host/copy-button.tsx';
import { orgApi, SCOPES, type ApiKey, type Scope } from './api.ts';

const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toLocaleString());

/** API keys: create with scopes (the key shown once, with a copy button), list by prefix and last use, revoke. */
export function ApiKeys() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(['read']));
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = () =>
    orgApi.keys().then(
      (k) => {
        setKeys(k.filter((key) => key.revokedAt === null));
        setLoadError(null);
      },
      (err: unknown) => setLoadError(err instanceof Error ? err.message : String(err)),
    );
  useEffect(() => void reload(), []);

  const create = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    orgApi
      .createKey(
        name,
        SCOPES.filter((s) => scopes.has(s)),
      )
      .then(
        (k) => {
          setShown({ name: k.name, key: k.key });
          setName('');
          void reload();
        },
        (err: unknown) => setError(err instanceof Error ? err : new Error(String(err))),
      )
      .finally(() => setBusy(false));
  };
  const revoke = (id: string) =>
    orgApi.revokeKey(id).then(reload, (err: unknown) => setError(err instanceof Error ? err : new Error(String(err))));
  const fieldError = (field: string) => <FieldMessage error={error} field={field} />;

  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form class="key-form" onSubmit={create} data-testid="key-form">
        <label for="key-name">
          Name
          <input
            id="key-name"
            value={name}
            required
            maxLength={100}
            placeholder="grafana"
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
            data-testid="key-name"
          />
          {fieldError('name')}
        </label>
        <fieldset class="key-scopes">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="inline">
              <input
                type="checkbox"
                checked={scopes.has(s)}
                onChange={(e) => {
                  const next = new Set(scopes);
                  if ((e.target as HTMLInputElement).checked) next.add(s);
                  else next.delete(s);
                  setScopes(next);
                }}
                data-testid={`key-scope-${s}`}
              />{' '}
              {s}
            </label>
          ))}
          {fieldError('scopes')}
        </fieldset>
        <button type="submit" class="primary" disabled={busy} data-testid="key-create">
          Create key
        </button>
      </form>
      <FormMessage error={error} />
      {shown && (
        <div class="key-shown" data-testid="key-shown">
          <p>
            The key <strong>{shown.name}</strong>, shown only now. Copy it into the tool that needs it.
          </p>
          <CopyField text={shown.key} label="API key" testId="key-secret" />
          <button type="button" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
      {loadError ? (
        <p class="form-error" role="alert">
          Could not load API keys: {loadError}
        </p>
      ) : keys === null ? (
        <p class="muted">Loading API keys…</p>
      ) : keys.length === 0 ? (
        <p class="empty" data-testid="keys-empty">
          No API keys.
        </p>
      ) : (
        <div class="table-scroll">
          <table data-testid="key-list">
            <TableHead columns={['Name', 'Prefix', 'Scopes', 'Last used']} />
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-testid="key-row" data-id={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.scopes.join(', ')}</td>
                  <td data-testid="key-last-used">{when(k.lastUsedAt)}</td>
                  <td>
                    <RevokeButton label={k.name} testId="key-revoke" onRevoke={() => void revoke(k.id)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
