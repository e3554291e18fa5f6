import { useState } from 'preact/hooks';
import type { AlertRuleView, SilenceMatcher } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { fieldMatches, formError, type FormError } from '../device/field-error.ts';
import { alertsApi } from './api.ts';
import { FieldError, LeftoverError } from './bits.tsx';
import { SILENCE_FIELDS, silenceBody, type SilenceDraft } from './silence-draft.ts';

interface Props {
  initial: SilenceMatcher[];
  rules: readonly AlertRuleView[] | null;
  devices: readonly DeviceView[] | null;
  onCreated(): void;
}

/** The value input of one matcher: a picker for rules, devices and severities, text for sites and tags. */
function MatcherValue(props: {
  matcher: SilenceMatcher;
  index: number;
  rules: Props['rules'];
  devices: Props['devices'];
  error: FormError | null;
  onChange(value: string): void;
}) {
  const { matcher: m, index } = props;
  const common = {
    id: `silence-value-${index}`,
    'aria-invalid': fieldMatches(props.error, `matchers.${index}`),
    'data-testid': 'silence-matcher-value',
  };
  const options: [string, string][] | null =
    m.field === 'rule'
      ? (props.rules ?? []).map((r) => [r.id, r.name])
      : m.field === 'device'
        ? (props.devices ?? []).map((d) => [d.id, d.name])
        : m.field === 'severity'
          ? [
              ['critical', 'critical'],
              ['warning', 'warning'],
            ]
          : null;
  if (!options) {
    return <input {...common} value={m.value} required onInput={(e) => props.onChange(e.currentTarget.value)} />;
  }
  // A pre-filled id may name something this list lacks (a deleted rule): keep it selectable.
  if (m.value && !options.some(([v]) => v === m.value)) options.unshift([m.value, m.value]);
  return (
    <select {...common} value={m.value} required onChange={(e) => props.onChange(e.currentTarget.value)}>
      <option value="">Choose…</option>
      {options.map(([v, t]) => (
        <option key={v} value={v}>
          {t}
        </option>
      ))}
    </select>
  );
}

/** Creates a silence: matchers that must all match, a start (now by default) and a duration. */
export function SilenceForm({ initial, rules, devices, onCreated }: Props) {
  const [draft, setDraft] = useState<SilenceDraft>({
    matchers: initial.length ? initial : [{ field: 'rule', value: '' }],
    startsAt: '',
    duration: '2h',
    comment: '',
  });
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState(false);
  const setMatcher = (i: number, m: SilenceMatcher) =>
    setDraft({ ...draft, matchers: draft.matchers.map((x, j) => (j === i ? m : x)) });

  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    setCreated(false);
    const built = silenceBody(draft);
    if ('error' in built) return setError(built.error);
    setBusy(true);
    alertsApi
      .createSilence(built.body)
      .then(
        () => {
          setCreated(true);
          setDraft({ matchers: [{ field: 'rule', value: '' }], startsAt: '', duration: '2h', comment: '' });
          onCreated();
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };

  return (
    <section class="card" aria-labelledby="silence-new-title">
      <h2 id="silence-new-title">New silence</h2>
      {initial.length > 0 && <p class="hint">Filled in from the incident: change anything before saving.</p>}
      <form class="alerts-form" onSubmit={submit} data-testid="silence-form" noValidate>
        <fieldset class="rows">
          <legend>Incidents it covers (all must match)</legend>
          {draft.matchers.map((m, i) => (
            <div class="row" key={i} data-testid="silence-matcher">
              <label>
                Field
                <select
                  value={m.field}
                  onChange={(e) =>
                    setMatcher(i, { field: e.currentTarget.value as SilenceMatcher['field'], value: '' })
                  }
                  data-testid="silence-matcher-field"
                >
                  {SILENCE_FIELDS.map((f) => (
                    <option key={f} value={f}>
                      {f}
                    </option>
                  ))}
                </select>
              </label>
              <label for={`silence-value-${i}`}>
                Value
                <MatcherValue
                  matcher={m}
                  index={i}
                  rules={rules}
                  devices={devices}
                  error={error}
                  onChange={(value) => setMatcher(i, { ...m, value })}
                />
                <FieldError error={error} field={`matchers.${i}`} />
              </label>
              {draft.matchers.length > 1 && (
                <button
                  type="button"
                  class="device-secondary"
                  aria-label={`Remove matcher ${i + 1}`}
                  onClick={() => setDraft({ ...draft, matchers: draft.matchers.filter((_, j) => j !== i) })}
                >
                  Remove
                </button>
              )}
            </div>
          ))}
          <FieldError error={error?.field === 'matchers' ? error : null} field="matchers" />
          <button
            type="button"
            class="device-secondary"
            onClick={() => setDraft({ ...draft, matchers: [...draft.matchers, { field: 'device', value: '' }] })}
            data-testid="silence-add-matcher"
          >
            Add a matcher
          </button>
        </fieldset>
        <div class="row">
          <label class="wide">
            Starts (empty: now)
            <input
              type="datetime-local"
              value={draft.startsAt}
              aria-invalid={fieldMatches(error, 'startsAt')}
              onInput={(e) => setDraft({ ...draft, startsAt: e.currentTarget.value })}
              data-testid="silence-starts"
            />
            <FieldError error={error} field="startsAt" />
          </label>
          <label>
            Lasts
            <input
              value={draft.duration}
              placeholder="2h"
              aria-invalid={fieldMatches(error, 'endsAt')}
              onInput={(e) => setDraft({ ...draft, duration: e.currentTarget.value })}
              data-testid="silence-duration"
            />
            <FieldError error={error} field="endsAt" />
          </label>
          <label class="wide">
            Comment
            <input
              value={draft.comment}
              maxLength={1000}
              placeholder="Why, e.g. disk replacement tonight"
              aria-invalid={fieldMatches(error, 'comment')}
              onInput={(e) => setDraft({ ...draft, comment: e.currentTarget.value })}
              data-testid="silence-comment-input"
            />
            <FieldError error={error} field="comment" />
          </label>
        </div>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy} data-testid="silence-create">
            Create silence
          </button>
          {created && (
            <span role="status" data-testid="silence-created">
              Silence created.
            </span>
          )}
        </div>
        <LeftoverError error={error} shown={['matchers', 'startsAt', 'endsAt', 'comment']} />
      </form>
    </section>
  );
}
