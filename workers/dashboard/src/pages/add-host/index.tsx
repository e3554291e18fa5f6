import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../api.ts';
import { FieldMessage, FormMessage } from '../../app/form-messages.tsx';
import { enrollmentApi, installLine, mqttLines, type CreatedToken, type EnrollmentToken } from './api.ts';
import { CopyField } from './copy-button.tsx';
import { NewDevices } from './new-devices.tsx';
import { TokenList } from './token-list.tsx';
import './add-host.css';

interface Created {
  token: CreatedToken;
  /** Devices that existed when the token was made: anything else is the new host. */
  known: Set<string>;
}

/**
 * `/add-host`: makes an enrollment token, shows the one-line install (and its MQTT variant)
 * with copy buttons, lists and revokes tokens, and shows the new host as it comes online.
 */
export function AddHostPage(_props: object) {
  const [tokens, setTokens] = useState<EnrollmentToken[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [form, setForm] = useState({ kind: 'host' as 'host' | 'gateway', expiresInHours: '24', maxUses: '1' });
  const [formError, setFormError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = () =>
    enrollmentApi.list().then(
      (t) => {
        setTokens([...t].sort((a, b) => b.createdAt - a.createdAt));
        setListError(null);
      },
      (err: unknown) => setListError(err instanceof Error ? err.message : String(err)),
    );
  useEffect(() => void reload(), []);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    try {
      // The device list first, so a host enrolling right after the token exists is not missed.
      const known = new Set((await enrollmentApi.devices()).map((d) => d.id));
      const token = await enrollmentApi.create({
        kind: form.kind,
        expiresInHours: Number(form.expiresInHours),
        maxUses: form.maxUses.trim() === '' ? null : Number(form.maxUses),
      });
      setCreated({ token, known });
      void reload();
    } catch (err) {
      setFormError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: string) => <FieldMessage error={formError} field={name} id={`enroll-${name}-error`} />;

  return (
    <main class="page add-host-page">
      <h1>Add a host</h1>
      <section aria-labelledby="new-token-title" class="card">
        <h2 id="new-token-title">1. Make an enrollment token</h2>
        <form class="enroll-form" onSubmit={(e) => void create(e)} data-testid="enroll-form">
          <label for="enroll-kind">
            Kind
            <select
              id="enroll-kind"
              value={form.kind}
              onChange={(e) => setForm({ ...form, kind: (e.target as HTMLSelectElement).value as 'host' | 'gateway' })}
            >
              <option value="host">host</option>
              <option value="gateway">gateway</option>
            </select>
          </label>
          <label for="enroll-expiresInHours">
            Expires in (hours)
            <input
              id="enroll-expiresInHours"
              type="number"
              min={1}
              max={8760}
              value={form.expiresInHours}
              onInput={(e) => setForm({ ...form, expiresInHours: (e.target as HTMLInputElement).value })}
            />
            {fieldError('expiresInHours')}
          </label>
          <label for="enroll-maxUses">
            Hosts it may enroll (empty: any number)
            <input
              id="enroll-maxUses"
              type="number"
              min={1}
              value={form.maxUses}
              onInput={(e) => setForm({ ...form, maxUses: (e.target as HTMLInputElement).value })}
            />
            {fieldError('maxUses')}
          </label>
          <button type="submit" class="primary" disabled={busy} data-testid="enroll-create">
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
        <FormMessage error={formError} />
      </section>
      {created && (
        <>
          <section aria-labelledby="install-title" class="card" data-testid="install">
            <h2 id="install-title">2. Run this on the host</h2>
            <p>The token is shown only now. It is stored hashed and cannot be shown again.</p>
            <CopyField text={created.token.token} label="Token" testId="enroll-token" />
            <h3>Over HTTPS (default)</h3>
            <CopyField
              text={installLine(location.origin, created.token.token)}
              label="Install command"
              testId="install-line"
            />
            <h3>Over MQTT</h3>
            <CopyField
              text={mqttLines(location.origin, created.token.token)}
              label="MQTT install commands"
              testId="install-mqtt"
            />
          </section>
          <NewDevices known={created.known} onArrived={() => void reload()} />
        </>
      )}
      <section aria-labelledby="tokens-title" class="card">
        <h2 id="tokens-title">Enrollment tokens</h2>
        {listError ? (
          <p class="form-error" role="alert" data-testid="tokens-error">
            Could not load tokens: {listError}
          </p>
        ) : tokens === null ? (
          <p class="muted" aria-busy="true">
            Loading tokens…
          </p>
        ) : (
          <TokenList tokens={tokens} onChanged={() => void reload()} />
        )}
      </section>
    </main>
  );
}
