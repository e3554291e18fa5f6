import { useEffect, useState } from 'preact/hooks';
import { COLLECTOR_NAMES, DEFAULT_INTERVALS } from '../../../../../schema/wire/agent-config.ts';
import type { NoticeOutputs } from '../../../../../schema/wire/notices.ts';
import { deviceApi } from './api.ts';
import { draftOf, patchOf, type AgentConfigDraft as Draft, type EditedSection } from './agent-config-draft.ts';
import { FieldError, ProbesEditor, ProcessesEditor } from './agent-config-lists.tsx';
import { fieldMatches, formError, type FormError } from './field-error.ts';

const NOTICE_OUTPUTS: { key: keyof NoticeOutputs; label: string }[] = [
  { key: 'wall', label: 'Show notices on logged-in terminals (wall)' },
  { key: 'journal', label: 'Write notices to the system journal' },
];

/** Where the agent shows host notices besides its log: two switches, the `notices` section. */
function NoticesEditor(p: { value: NoticeOutputs; error: FormError | null; onChange(value: NoticeOutputs): void }) {
  return (
    <fieldset class="config-list" data-testid="notices">
      <legend>Host notices</legend>
      <p class="muted">
        Incidents from notification channels of kind "Host notices" always go to the agent's log on the host.
      </p>
      {NOTICE_OUTPUTS.map(({ key, label }) => (
        <div key={key}>
          <input
            type="checkbox"
            id={`notices-${key}`}
            checked={p.value[key]}
            aria-invalid={fieldMatches(p.error, `notices.${key}`)}
            onChange={(e) => p.onChange({ ...p.value, [key]: e.currentTarget.checked })}
            data-testid={`notices-${key}`}
          />{' '}
          <label for={`notices-${key}`}>{label}</label>
        </div>
      ))}
      <FieldError error={p.error} field="notices" />
    </fieldset>
  );
}

/**
 * The device's remote agent config: intervals, probes, watched processes and where host notices
 * go, with the API's errors by field.
 */
export function AgentConfigForm({ deviceId, canWrite }: { deviceId: string; canWrite: boolean }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const aborter = new AbortController();
    deviceApi.agentConfig(deviceId, aborter.signal).then(
      (cfg) => setDraft(draftOf(cfg)),
      (err: unknown) => !aborter.signal.aborted && setLoadError(formError(err).message),
    );
    return () => aborter.abort();
  }, [deviceId]);

  if (loadError) {
    return (
      <section class="card" aria-labelledby="agent-config-title">
        <h2 id="agent-config-title">Agent configuration</h2>
        <p class="form-error" role="alert">
          Could not load the agent configuration: {loadError}
        </p>
      </section>
    );
  }
  if (!draft) {
    return (
      <section class="card" aria-busy="true" aria-labelledby="agent-config-title">
        <h2 id="agent-config-title">Agent configuration</h2>
        <p>Loading…</p>
      </section>
    );
  }

  const edit = (section: EditedSection, next: Partial<Draft>) => {
    setSaved(false);
    setDraft({ ...draft, ...next, own: new Set([...draft.own, section]) });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await deviceApi.putAgentConfig(deviceId, patchOf(draft));
      setSaved(true);
    } catch (err) {
      setError(formError(err));
    } finally {
      setBusy(false);
    }
  };
  const shownFields = (f: string) =>
    /^intervals\.[a-z]+$/.test(f) || /^(probes|processes)\.\d+\.[a-zA-Z]+$/.test(f) || f === 'notices';

  return (
    <section class="card agent-config" aria-labelledby="agent-config-title" data-testid="agent-config">
      <h2 id="agent-config-title">Agent configuration</h2>
      <p class="muted">
        Empty intervals inherit the organisation's or built-in value. The agent applies changes without a restart.
      </p>
      {/* noValidate: the API's own message, next to the field, is the one shown. */}
      <form onSubmit={save} noValidate>
        <fieldset disabled={!canWrite || busy}>
          <fieldset class="config-intervals" data-testid="intervals">
            <legend>Intervals (seconds)</legend>
            {COLLECTOR_NAMES.map((c) => (
              <label key={c}>
                {c}
                <input
                  inputMode="numeric"
                  data-testid={`interval-${c}`}
                  placeholder={String(DEFAULT_INTERVALS[c])}
                  value={draft.intervals[c]}
                  aria-invalid={fieldMatches(error, `intervals.${c}`)}
                  onInput={(e) => edit('intervals', { intervals: { ...draft.intervals, [c]: e.currentTarget.value } })}
                />
                <FieldError error={error} field={`intervals.${c}`} />
              </label>
            ))}
          </fieldset>
          <ProbesEditor items={draft.probes} error={error} onChange={(probes) => edit('probes', { probes })} />
          <ProcessesEditor
            items={draft.processes}
            error={error}
            onChange={(processes) => edit('processes', { processes })}
          />
          <NoticesEditor value={draft.notices} error={error} onChange={(notices) => edit('notices', { notices })} />
          <div class="form-actions">
            <button type="submit" class="primary" data-testid="agent-config-save">
              Save agent configuration
            </button>
            {saved && <span role="status">Saved.</span>}
          </div>
        </fieldset>
      </form>
      {error && !(error.field && shownFields(error.field)) && (
        <p class="form-error" role="alert" data-testid="agent-config-error">
          {error.message}
        </p>
      )}
    </section>
  );
}
