import { useEffect, useState } from 'preact/hooks';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { DeleteInPlace, DetailLoading } from '../../app/detail-page.tsx';
import { alertsApi } from '../alerts/api.ts';
import { AlertsTabs, useDevices, when } from '../alerts/bits.tsx';
import { formError, type FormError } from '../device/field-error.ts';
import { webhooksApi, type WebhookView } from './api.ts';
import { Actions, HostNotices } from './channel-actions.tsx';
import { DeliveryLog } from './delivery-log.tsx';
import { draftOf, hostTargetText, isHostKind, updateOf, type WebhookDraft } from './draft.ts';
import { WebhookForm } from './webhook-form.tsx';
import { AdminsOnly } from './webhooks-page.tsx';
import '../alerts/alerts.css';

/** `/webhooks/:id`: one channel: test it, rotate its secret, change it, read its delivery log (host notices: change it). */
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
  const devices = useDevices();

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
  const save = (draft: WebhookDraft) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    webhooksApi
      .update(hook.id, updateOf(draft))
      .then(
        (w) => {
          setHook(w);
          setSaved(true);
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };
  const host = isHostKind(hook.kind);
  return (
    <main class="page alerts-page" data-testid="webhook-page">
      <AlertsTabs current="webhooks" access={access} />
      <h1 data-testid="webhook-name">{hook.name}</h1>
      <dl class="facts">
        <dt>Kind</dt>
        <dd data-testid="webhook-kind-shown">{hook.kind}</dd>
        <dt>{host ? 'Sends to' : 'URL'}</dt>
        <dd data-testid="webhook-target">{host ? hostTargetText(hook, devices) : <code>{hook.url}</code>}</dd>
        <dt>Status</dt>
        <dd data-testid="webhook-status">
          {hook.enabled ? 'enabled' : `disabled${hook.disabledReason ? `: ${hook.disabledReason}` : ''}`}
        </dd>
        {!host && hook.secretPrefix && (
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
      {host ? (
        <HostNotices />
      ) : (
        <>
          <Actions hook={hook} onTest={() => setVersion((v) => v + 1)} />
          <DeliveryLog webhookId={hook.id} version={version} />
        </>
      )}
      <section class="card" aria-labelledby="webhook-settings-title">
        <h2 id="webhook-settings-title">Settings</h2>
        <WebhookForm
          key={hook.updatedAt}
          initial={draftOf(hook)}
          existingKind={hook.kind}
          rules={rules}
          devices={devices}
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
          question={
            host ? <>Delete the channel {hook.name}?</> : <>Delete the channel {hook.name} and its delivery log?</>
          }
          label="Delete channel…"
          testId="webhook-delete"
          doneHref="/webhooks"
          remove={() => webhooksApi.remove(hook.id)}
        />
      </section>
    </main>
  );
}
