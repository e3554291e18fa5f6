import { useEffect, useState } from 'preact/hooks';
import {
  COLLECTOR_NAMES,
  DEFAULT_INTERVALS,
  type CollectorName,
  type Probe,
  type ProcessWatch,
  type RemoteAgentConfigPatch,
} from '../../../../../schema/wire/agent-config.ts';
import { deviceApi } from './api.ts';
import { FieldError, ProbesEditor, ProcessesEditor } from './agent-config-lists.tsx';
import { fieldMatches, formError, type FormError } from './field-error.ts';

interface Draft {
  /** Text of each interval input; empty means "inherit". */
  intervals: Record<CollectorName, string>;
  probes: Probe[];
  processes: ProcessWatch[];
  /** Sections this device overrides (or the user edited): only those are sent. */
  own: Set<'intervals' | 'probes' | 'processes'>;
}

function patchOf(draft: Draft): RemoteAgentConfigPatch {
  const patch: RemoteAgentConfigPatch = {};
  if (draft.own.has('intervals')) {
    const entries = Object.entries(draft.intervals).filter(([, v]) => v.trim() !== '');
    // A value that is not a number goes as typed, so the API names the field and says why.
    patch.intervals = Object.fromEntries(entries.map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]));
  }
  if (draft.own.has('probes')) patch.probes = draft.probes;
  if (draft.own.has('processes')) patch.processes = draft.processes;
  return patch;
}

/** The device's remote agent config: intervals, probes and watched processes, with the API's errors by field. */
export function AgentConfigForm({ deviceId, canWrite }: { deviceId: string; canWrite: boolean }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const aborter = new AbortController();
    deviceApi.agentConfig(deviceId, aborter.signal).then(
      (cfg) => {
        const intervals = Object.fromEntries(
          COLLECTOR_NAMES.map((c) => [
            c,
            cfg.overrides.intervals?.[c] === undefined ? '' : String(cfg.overrides.intervals[c]),
          ]),
        ) as Record<CollectorName, string>;
        const own = new Set(
          (['intervals', 'probes', 'processes'] as const).filter((k) => cfg.overrides[k] !== undefined),
        );
        setDraft({ intervals, probes: cfg.effective.probes, processes: cfg.effective.processes, own });
      },
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

  const edit = (section: 'intervals' | 'probes' | 'processes', next: Partial<Draft>) => {
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
  const shownFields = (f: string) => /^intervals\.[a-z]+$/.test(f) || /^(probes|processes)\.\d+\.[a-zA-Z]+$/.test(f);

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
