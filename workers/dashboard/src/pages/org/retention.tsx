import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api.ts';
import { orgApi, type Retention } from './api.ts';

const LEVELS: { key: keyof Retention; label: string; hint: string }[] = [
  { key: 'rawDays', label: 'Raw samples (days)', hint: '1–3650' },
  { key: 'rollup1mDays', label: '1-minute rollups (days)', hint: 'at least the raw days' },
  { key: 'rollup1hDays', label: '1-hour rollups (days)', hint: 'at least the 1-minute days' },
  { key: 'rollup1dDays', label: '1-day rollups (days)', hint: 'empty: keep forever' },
];

type Draft = Record<keyof Retention, string>;
const toDraft = (r: Retention): Draft => ({
  rawDays: String(r.rawDays),
  rollup1mDays: String(r.rollup1mDays),
  rollup1hDays: String(r.rollup1hDays),
  rollup1dDays: r.rollup1dDays === null ? '' : String(r.rollup1dDays),
});

/**
 * Retention per level, saved with `PATCH /v1/org/settings`. Values go to the API as typed
 * (numbers), so its validation decides, and its error is shown next to the field it names
 * (`retention.<level>`).
 */
export function RetentionSettings() {
  const [saved, setSaved] = useState<Retention | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    orgApi.settings().then(
      (r) => {
        setSaved(r);
        setDraft(toDraft(r));
      },
      (err: unknown) => setError(err instanceof Error ? err : new Error(String(err))),
    );
  }, []);

  const save = (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    const body: Partial<Record<keyof Retention, number | null>> = {};
    for (const { key } of LEVELS) {
      const v = draft[key].trim();
      body[key] = v === '' && key === 'rollup1dDays' ? null : Number(v);
    }
    orgApi
      .saveRetention(body as Partial<Retention>)
      .then(
        (r) => {
          setSaved(r);
          setDraft(toDraft(r));
          setNotice('Retention saved.');
        },
        (err: unknown) => setError(err instanceof Error ? err : new Error(String(err))),
      )
      .finally(() => setBusy(false));
  };

  const fieldOf = (err: unknown) => (err instanceof ApiError ? err.field?.replace(/^retention\./, '') : undefined);
  return (
    <section class="card" aria-labelledby="retention-title">
      <h2 id="retention-title">Retention</h2>
      {!draft ? (
        error ? (
          <p class="form-error" role="alert">
            Could not load settings: {error.message}
          </p>
        ) : (
          <p class="muted">Loading settings…</p>
        )
      ) : (
        <form class="retention-form" onSubmit={save} data-testid="retention-form" noValidate>
          {LEVELS.map(({ key, label, hint }) => {
            const bad = fieldOf(error) === key;
            return (
              <label key={key} for={`retention-${key}`}>
                {label}
                <input
                  id={`retention-${key}`}
                  type="number"
                  min={1}
                  value={draft[key]}
                  placeholder={key === 'rollup1dDays' ? 'forever' : undefined}
                  aria-invalid={bad}
                  aria-describedby={`retention-${key}-hint`}
                  onInput={(e) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value })}
                  data-testid={`retention-${key}`}
                />
                <span
                  id={`retention-${key}-hint`}
                  class={bad ? 'field-error' : 'muted'}
                  role={bad ? 'alert' : undefined}
                >
                  {bad ? error!.message : hint}
                </span>
              </label>
            );
          })}
          <button type="submit" class="primary" disabled={busy} data-testid="retention-save">
            Save retention
          </button>
        </form>
      )}
      {draft && error && !fieldOf(error) && (
        <p class="form-error" role="alert">
          {error.message}
        </p>
      )}
      {notice && saved && (
        <p class="notice" role="status" data-testid="retention-saved">
          {notice}
        </p>
      )}
    </section>
  );
}
