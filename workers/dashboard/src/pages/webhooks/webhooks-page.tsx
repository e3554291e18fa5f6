import { useEffect, useState } from 'preact/hooks';
import { TableHead } from '../../app/table-head.tsx';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { ListState, useLoaded } from '../../app/list-shell.tsx';
import { AlertsTabs, useDevices } from '../alerts/bits.tsx';
import { alertsApi } from '../alerts/api.ts';
import { formError, type FormError } from '../device/field-error.ts';
import { webhooksApi } from './api.ts';
import { bodyOf, emptyDraft, filtersText, hostTargetText, isHostKind, type WebhookDraft } from './draft.ts';
import { SecretShown } from './secret-shown.tsx';
import { WebhookForm } from './webhook-form.tsx';
import '../alerts/alerts.css';

/** Shown instead of the channel pages to people whose role cannot manage them (no request is made). */
export function AdminsOnly({ access }: { access: Access }) {
  return (
    <main class="page alerts-page">
      <h1>Webhooks</h1>
      <AlertsTabs current="webhooks" access={access} />
      <p class="muted" data-testid="webhooks-forbidden">
        Notification channels are managed by admins of the organisation.
      </p>
    </main>
  );
}

/** `/webhooks`: notification channels; create one (a URL channel's secret shown once) and open one to edit it. */
export function WebhooksPage({ access }: { access: Access }) {
  return access.can('notifications.manage') ? <Channels access={access} /> : <AdminsOnly access={access} />;
}

function Channels({ access }: { access: Access }) {
  const { value: hooks, error: loadError, reload } = useLoaded((signal) => webhooksApi.list(signal), []);
  const [rules, setRules] = useState<AlertRuleView[] | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const devices = useDevices();
  /** The channel just made; `secret` only for the URL kinds (a host channel has none). */
  const [created, setCreated] = useState<{ id: string; name: string; secret?: string; target?: string } | null>(null);
  const [formKey, setFormKey] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    alertsApi.rules(ctl.signal).then(setRules, () => setRules([]));
    return () => ctl.abort();
  }, []);

  const create = (draft: WebhookDraft) => {
    setBusy(true);
    setError(null);
    webhooksApi
      .create(bodyOf(draft))
      .then(
        (w) => {
          setCreated({
            id: w.id,
            name: w.name,
            secret: w.secret,
            // "The agents of …" as the rest of a sentence.
            target: isHostKind(w.kind) ? hostTargetText(w, devices).replace(/^The /, 'the ') : undefined,
          });
          setFormKey((k) => k + 1);
          void reload();
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };

  return (
    <main class="page alerts-page" aria-busy={hooks === null && !loadError}>
      <h1>Webhooks</h1>
      <AlertsTabs current="webhooks" access={access} />
      <section class="card" aria-labelledby="webhook-new-title">
        <h2 id="webhook-new-title">New channel</h2>
        {created?.secret && (
          <SecretShown
            name={created.name}
            secret={created.secret}
            note="Open the channel to send a test."
            onDone={() => setCreated(null)}
          />
        )}
        {created && !created.secret && (
          <p class="notice" role="status" data-testid="webhook-created">
            Created <strong>{created.name}</strong>. Its notices go to {created.target}.
          </p>
        )}
        <WebhookForm
          key={formKey}
          initial={emptyDraft()}
          existingKind={null}
          rules={rules}
          devices={devices}
          submitLabel="Create channel"
          busy={busy}
          error={error}
          onSubmit={create}
        />
      </section>
      <section class="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Channels</h2>
        <ListState
          items={hooks}
          error={loadError}
          noun="channels"
          errorTestId="webhooks-error"
          emptyTestId="webhooks-empty"
          empty="No channels yet: incidents are recorded, but nobody is told."
        >
          {(hooks) => (
            <table class="grid" data-testid="webhook-list">
              <TableHead columns={['Name', 'Kind', 'Sends to', 'Sends', 'Status']} actions={false} />
              <tbody>
                {hooks.map((w) => (
                  <tr key={w.id} data-testid="webhook-row" data-id={w.id}>
                    <td>
                      <a href={`/webhooks/${encodeURIComponent(w.id)}`} data-testid="webhook-link">
                        {w.name}
                      </a>
                    </td>
                    <td>{w.kind}</td>
                    <td data-testid="webhook-target">
                      {isHostKind(w.kind) ? hostTargetText(w, devices) : <code>{w.url}</code>}
                    </td>
                    <td>{filtersText(w.filters, rules, devices)}</td>
                    <td>{w.enabled ? 'enabled' : `disabled${w.disabledReason ? `: ${w.disabledReason}` : ''}`}</td>
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
