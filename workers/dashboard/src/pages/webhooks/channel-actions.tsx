import { useState } from 'preact/hooks';
import { errorMessage } from '../../page-state.ts';
import { webhooksApi, type WebhookView } from './api.ts';
import { SecretShown } from './secret-shown.tsx';

const GRACE: [number, string][] = [
  [0, 'stops at once'],
  [3600, 'keeps signing for 1 hour'],
  [86_400, 'keeps signing for 24 hours'],
  [7 * 86_400, 'keeps signing for 7 days'],
];

/** Send a test, rotate the secret (the old one may keep signing for a grace period). */
export function Actions({ hook, onTest }: { hook: WebhookView; onTest(): void }) {
  const [grace, setGrace] = useState(86_400);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    action()
      .catch((err: unknown) => setMessage({ error: true, text: errorMessage(err) }))
      .finally(() => setBusy(false));
  };
  const test = () =>
    run(async () => {
      await webhooksApi.test(hook.id);
      setMessage({ error: false, text: 'Test event queued: it appears in the delivery log below.' });
      onTest();
    });
  const rotate = () =>
    run(async () => {
      const r = await webhooksApi.rotate(hook.id, grace);
      setSecret(r.secret);
    });
  return (
    <section class="card" aria-labelledby="webhook-actions-title">
      <h2 id="webhook-actions-title">Test and secret</h2>
      {secret && (
        <SecretShown
          name={hook.name}
          secret={secret}
          note={grace ? 'Until the grace period ends, messages carry two signatures: old and new.' : undefined}
          onDone={() => setSecret(null)}
        />
      )}
      <div class="row">
        <button type="button" class="primary" disabled={busy} onClick={test} data-testid="webhook-test">
          Send test
        </button>
      </div>
      <div class="row">
        <label for="webhook-grace">
          The old secret
          <select
            id="webhook-grace"
            value={grace}
            onChange={(e) => setGrace(Number(e.currentTarget.value))}
            data-testid="webhook-grace"
          >
            {GRACE.map(([s, text]) => (
              <option key={s} value={s}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="device-secondary" disabled={busy} onClick={rotate} data-testid="webhook-rotate">
          Rotate secret
        </button>
      </div>
      {message && (
        <p
          class={message.error ? 'form-error' : 'notice'}
          role={message.error ? 'alert' : 'status'}
          data-testid="webhook-action-message"
        >
          {message.text}
        </p>
      )}
    </section>
  );
}

/**
 * Where a host channel's notices go, instead of the test, the secret and the delivery log it
 * does not have (notices ride on the agents' config channel; they are not deliveries).
 */
export function HostNotices() {
  return (
    <section class="card" aria-labelledby="host-notices-title" data-testid="host-notices">
      <h2 id="host-notices-title">Where notices go</h2>
      <p>
        Each incident this channel passes goes to the agents under <em>Sends to</em> with their next configuration
        update. Each agent writes it to its log on the host, and to logged-in terminals (wall) and the system journal
        when its device's agent configuration turns those on (device page, Agent configuration).
      </p>
      <p class="muted">
        There is no URL, secret or delivery log: notices are not webhook deliveries. To see one arrive on a host, run{' '}
        <code>edgewatch-agent notices --test</code> there.
      </p>
    </section>
  );
}
