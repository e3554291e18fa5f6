import { useEffect, useState } from 'preact/hooks';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { DeleteInPlace, DetailLoading } from '../../app/detail-page.tsx';
import { errorMessage } from '../../page-state.ts';
import { alertsApi } from '../alerts/api.ts';
import { AlertsTabs, when } from '../alerts/bits.tsx';
import { formError, type FormError } from '../device/field-error.ts';
import { webhooksApi, type WebhookBody, type WebhookView } from './api.ts';
import { DeliveryLog } from './delivery-log.tsx';
import { SecretShown } from './secret-shown.tsx';
import { WebhookForm } from './webhook-form.tsx';
import { AdminsOnly } from './webhooks-page.tsx';
import '../alerts/alerts.css';

const GRACE: [number, string][] = [
  [0, 'stops at once'],
  [3600, 'keeps signing for 1 hour'],
  [86_400, 'keeps signing for 24 hours'],
  [7 * 86_400, 'keeps signing for 7 days'],
];

/** Send a test, rotate the secret (the old one may keep signing for a grace period). */
function Actions({ hook, onTest }: { hook: WebhookView; onTest(): void }) {
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

/** `/webhooks/:id`: one channel: test it, rotate its secret, change it, read its delivery log. */
export function WebhookPage({ id, access }: { id: string; access: Access }) {
  return access.can('notifications.manage') ? <Channel id={id} access={access} /> : <AdminsOnly access={access} />;
}

function Channel({ id, access }: { id: string; access: Access }) {
  const [hook, setHook] = useState<WebhookView | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [rules, setRules] = useState<AlertRuleView[] | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    webhooksApi.get(id, ctl.signal).then(setHook, (err: unknown) => {
      if (!ctl.signal.aborted) setLoadError(err);
    });
    alertsApi.rules(ctl.signal).then(setRules, () => setRules([]));
    return () => ctl.abort();
  }, [id]);

  if (!hook) {
    return (
      <DetailLoading
        error={loadError}
        what="channel"
        testId="webhook-error"
        tabs={<AlertsTabs current="webhooks" access={access} />}
      />
    );
  }
  const save = (body: WebhookBody) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    webhooksApi
      .update(hook.id, body)
      .then(
        (w) => {
          setHook(w);
          setSaved(true);
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <main class="page alerts-page" data-testid="webhook-page">
      <AlertsTabs current="webhooks" access={access} />
      <h1 data-testid="webhook-name">{hook.name}</h1>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{hook.kind}</dd>
        <dt>URL</dt>
        <dd>
          <code>{hook.url}</code>
        </dd>
        <dt>Status</dt>
        <dd data-testid="webhook-status">
          {hook.enabled ? 'enabled' : `disabled${hook.disabledReason ? `: ${hook.disabledReason}` : ''}`}
        </dd>
        {hook.secretPrefix && (
          <>
            <dt>Secret</dt>
            <dd>
              <code>{hook.secretPrefix}…</code>
              {hook.previousSecretExpiresAt
                ? ` (the previous one signs too until ${when(hook.previousSecretExpiresAt)})`
                : ''}
            </dd>
          </>
        )}
      </dl>
      <Actions hook={hook} onTest={() => setVersion((v) => v + 1)} />
      <DeliveryLog webhookId={hook.id} version={version} />
      <section class="card" aria-labelledby="webhook-settings-title">
        <h2 id="webhook-settings-title">Settings</h2>
        <WebhookForm
          key={hook.updatedAt}
          initial={{ name: hook.name, kind: hook.kind, url: hook.url, filters: hook.filters, enabled: hook.enabled }}
          rules={rules}
          submitLabel="Save changes"
          busy={busy}
          error={error}
          onSubmit={save}
        />
        {saved && (
          <p class="notice" role="status" data-testid="webhook-saved">
            Saved.
          </p>
        )}
        <DeleteInPlace
          question={<>Delete the channel {hook.name} and its delivery log?</>}
          label="Delete channel…"
          testId="webhook-delete"
          doneHref="/webhooks"
          remove={() => webhooksApi.remove(hook.id)}
        />
      </section>
    </main>
  );
}
