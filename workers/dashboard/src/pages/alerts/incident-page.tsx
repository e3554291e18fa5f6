import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { IncidentView, SilenceMatcher } from '../../../../../schema/wire/alerts.ts';
import { accountsApi, type Member } from '../../accounts-api.ts';
import type { Access } from '../../app/access.ts';
import { errorMessage } from '../../page-state.ts';
import { formError, type FormError } from '../device/field-error.ts';
import { alertsApi } from './api.ts';
import {
  AlertsTabs,
  FieldError,
  LeftoverError,
  labelsText,
  SeverityBadge,
  StateBadge,
  useDevices,
  when,
} from './bits.tsx';
import { useIncidentUpdates } from './live-incidents.ts';
import { silenceLink } from './silence-draft.ts';
import './alerts.css';

/** The matchers "silence similar" starts from: same rule and device, so other devices still notify. */
export function similarMatchers(i: IncidentView): SilenceMatcher[] {
  const out: SilenceMatcher[] = [];
  if (i.ruleId) out.push({ field: 'rule', value: i.ruleId });
  out.push({ field: 'device', value: i.deviceId });
  return out;
}

/** Acknowledge with a note, or take the acknowledgement back. */
function Response({
  incident,
  onChange,
  members,
}: {
  incident: IncidentView;
  onChange(i: IncidentView): void;
  members: Member[];
}) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const run = (action: () => Promise<IncidentView>) => {
    setBusy(true);
    setError(null);
    action()
      .then(
        (i) => {
          setNote('');
          onChange(i);
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };
  const ack = incident.acknowledged;
  if (ack) {
    const by = members.find((m) => m.userId === ack.by);
    return (
      <div data-testid="incident-ack">
        <p>
          Acknowledged {when(ack.at)}
          {ack.by ? ` by ${by ? (by.name ? `${by.name} (${by.email})` : by.email) : ack.by}` : ' with an API key'}.
        </p>
        {ack.note && (
          <blockquote class="ack-note" data-testid="incident-ack-note">
            {ack.note}
          </blockquote>
        )}
        <button
          type="button"
          class="device-secondary"
          disabled={busy}
          onClick={() => run(() => alertsApi.unack(incident.id))}
          data-testid="incident-unack"
        >
          Un-acknowledge
        </button>
        <LeftoverError error={error} shown={[]} />
      </div>
    );
  }
  return (
    <form
      class="ack-form"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => alertsApi.ack(incident.id, note));
      }}
    >
      <label for="ack-note">
        Note (optional: what you are doing about it)
        <textarea
          id="ack-note"
          rows={3}
          maxLength={1000}
          value={note}
          aria-invalid={error?.field === 'note'}
          onInput={(e) => setNote(e.currentTarget.value)}
          data-testid="incident-ack-note-input"
        />
        <FieldError error={error} field="note" />
      </label>
      <button type="submit" class="primary" disabled={busy} data-testid="incident-ack-submit">
        Acknowledge
      </button>
      <LeftoverError error={error} shown={['note']} />
    </form>
  );
}

/** `/incidents/:id`: one incident, its facts, acknowledgement and "silence similar". */
export function IncidentPage({ id, access }: { id: string; access: Access }) {
  const [incident, setIncident] = useState<IncidentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const devices = useDevices();

  useEffect(() => {
    const ctl = new AbortController();
    alertsApi.incident(id, ctl.signal).then(setIncident, (err: unknown) => {
      if (!ctl.signal.aborted) setError(err);
    });
    accountsApi.members(ctl.signal).then(setMembers, () => undefined);
    return () => ctl.abort();
  }, [id]);
  useIncidentUpdates(access.me.orgId, () => {
    alertsApi.incident(id).then(setIncident, () => undefined);
  });

  if (!incident) {
    return (
      <main class="page alerts-page" aria-busy={!error}>
        <AlertsTabs current="incidents" access={access} />
        {error ? (
          <p class="form-error" role="alert" data-testid="incident-error">
            {(error as { status?: number }).status === 404
              ? 'No such incident in this organisation.'
              : `Could not load the incident: ${errorMessage(error)}`}
          </p>
        ) : (
          <p class="muted">Loading the incident…</p>
        )}
      </main>
    );
  }
  const i = incident;
  const device = devices?.find((d) => d.id === i.deviceId);
  const facts: [string, ComponentChildren][] = [
    ['Device', <a href={`/devices/${encodeURIComponent(i.deviceId)}`}>{device?.name ?? i.deviceId}</a>],
    ['Series', i.metric ? `${i.metric}${labelsText(i.labels)}` : 'the device itself'],
    ['Value', i.value === null ? '—' : String(i.value)],
    ['Threshold', i.threshold === null ? '—' : String(i.threshold)],
    ['Peak severity', i.peakSeverity],
    ['Started', when(i.startedAt)],
    ['Fired', when(i.firedAt)],
    ['Resolved', when(i.resolvedAt)],
    ['Site', i.siteId ?? '—'],
    ['Tags', i.tags.length ? i.tags.join(', ') : '—'],
    [
      'Rule',
      i.ruleId ? <a href={`/alerts/rules/${encodeURIComponent(i.ruleId)}`}>{i.ruleName}</a> : `${i.ruleName} (deleted)`,
    ],
    ['Notifications', i.silenced ? <a href="/silences">Silenced now</a> : 'Sent to matching channels'],
  ];
  return (
    <main class="page alerts-page" data-testid="incident-page">
      <AlertsTabs current="incidents" access={access} />
      <section class="card" aria-labelledby="incident-title">
        <div class="incident-title">
          <h1 id="incident-title" data-testid="incident-name">
            {i.ruleName}
          </h1>
          <StateBadge state={i.state} />
          <SeverityBadge severity={i.severity} />
          {i.silenced && <span class="silenced">Silenced</span>}
        </div>
        <p data-testid="incident-summary">{i.summary}</p>
        <dl class="facts">
          {facts.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </Fragment>
          ))}
        </dl>
      </section>
      <section class="card" aria-labelledby="response-title">
        <h2 id="response-title">Response</h2>
        {access.can('alerts.respond') ? (
          <>
            <Response incident={i} onChange={setIncident} members={members} />
            <p class="hint">
              <a href={silenceLink(similarMatchers(i))} data-testid="incident-silence-similar">
                Silence similar incidents
              </a>{' '}
              (this rule on this device): they still open, but notify no one while the silence lasts.
            </p>
          </>
        ) : i.acknowledged ? (
          <p data-testid="incident-ack">
            Acknowledged {when(i.acknowledged.at)}
            {i.acknowledged.note ? `: ${i.acknowledged.note}` : '.'}
          </p>
        ) : (
          <p class="muted">Not acknowledged. Members and admins can acknowledge it.</p>
        )}
      </section>
    </main>
  );
}
