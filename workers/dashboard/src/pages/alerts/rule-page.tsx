import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AlertRuleView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { DeleteInPlace, DetailLoading } from '../../app/detail-page.tsx';
import { navigate } from '../../app/router.ts';
import { fieldMatches, formError, type FormError } from '../device/field-error.ts';
import { alertsApi } from './api.ts';
import { AlertsTabs, LeftoverError, useDevices, withoutField } from './bits.tsx';
import { MetricField } from './metric-field.tsx';
import { bodyFromDraft, draftFromRule, emptyDraft, inputPaths, previewable, type RuleDraft } from './rule-draft.ts';
import { ConditionFields } from './condition-fields.tsx';
import { MatchersEditor, ScopeFields, TimingFields } from './rule-fields.tsx';
import { RulePreview } from './rule-preview.tsx';
import { TextField } from './text-field.tsx';
import './alerts.css';

/**
 * The rule just created here: creating moves the page to the rule's own address, which mounts
 * the editor afresh, and that one should still say the rule was saved.
 */
let justCreated: string | null = null;
const SAVED = 'Rule saved. Devices in scope evaluate it from their next batch.';

/** `/alerts/rules/new` and `/alerts/rules/:id`: the rule editor with its live preview. */
export function AlertRulePage({ id, access }: { id: string | null; access: Access }) {
  const canWrite = access.can('alerts.write');
  const devices = useDevices();
  const [saved, setSaved] = useState<AlertRuleView | null>(null);
  const [draft, setDraft] = useState<RuleDraft | null>(id ? null : emptyDraft());
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [previewError, setPreviewError] = useState<FormError | null>(null);
  const [labelNames, setLabelNames] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(id !== null && id === justCreated ? SAVED : null);

  useEffect(() => {
    if (id === justCreated) justCreated = null;
    if (!id) return;
    const ctl = new AbortController();
    alertsApi.rule(id, ctl.signal).then(
      (r) => {
        setSaved(r);
        setDraft(draftFromRule(r));
      },
      (err: unknown) => {
        if (!ctl.signal.aborted) setLoadError(err);
      },
    );
    return () => ctl.abort();
  }, [id]);

  const built = useMemo(() => (draft ? bodyFromDraft(draft) : null), [draft]);
  const previewRule = draft && built && 'body' in built && previewable(draft) ? built.body : null;
  // The form's own error first (a save), then what the live preview found, then an unreadable value.
  const shownError =
    error ?? previewError ?? (built && 'error' in built && draft && previewable(draft) ? built.error : null);

  if (!draft) {
    return (
      <DetailLoading
        error={loadError}
        what="rule"
        testId="rule-error"
        tabs={<AlertsTabs current="rules" access={access} />}
      />
    );
  }

  const set = (change: Partial<RuleDraft>) => {
    setDraft({ ...draft, ...change });
    setNotice(null);
    setError(null);
  };
  const save = (e: Event) => {
    e.preventDefault();
    if (!built) return;
    if ('error' in built) return setError(built.error);
    setBusy(true);
    setError(null);
    setNotice(null);
    (saved ? alertsApi.updateRule(saved.id, built.body) : alertsApi.createRule(built.body))
      .then(
        (rule) => {
          setSaved(rule);
          setDraft(draftFromRule(rule));
          setNotice(SAVED);
          if (!id) {
            justCreated = rule.id;
            navigate(`/alerts/rules/${encodeURIComponent(rule.id)}`, true);
          }
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };
  // An error about the condition as a whole (no level's input names it) shows beside the condition.
  const paths = inputPaths(draft);
  const conditionError =
    shownError && fieldMatches(shownError, 'condition') && !paths.some((p) => fieldMatches(shownError, p))
      ? shownError
      : null;
  const scopedDevice = draft.scopeKind === 'device' && draft.scopeValue ? draft.scopeValue : null;

  return (
    <main class="page alerts-page rule-page" data-testid="rule-page">
      <AlertsTabs current="rules" access={access} />
      <h1>{saved ? saved.name : 'New rule'}</h1>
      {!canWrite && <p class="hint">Only admins change rules; this is how it is set.</p>}
      <div class="rule-layout">
        <form class="card alerts-form" onSubmit={save} noValidate data-testid="rule-form" aria-label="Rule">
          <fieldset class="plain" disabled={!canWrite}>
            <div class="row">
              <TextField
                label="Name"
                path="name"
                value={draft.name}
                error={shownError}
                required
                maxLength={200}
                placeholder="Disk almost full"
                wide
                onInput={(name) => set({ name })}
              />
              <label for="rule-enabled" class="inline">
                <input
                  id="rule-enabled"
                  type="checkbox"
                  checked={draft.enabled}
                  onChange={(e) => set({ enabled: e.currentTarget.checked })}
                />{' '}
                Enabled
              </label>
            </div>
            <TextField
              label="Description"
              path="description"
              value={draft.description}
              error={shownError}
              maxLength={2000}
              placeholder="What to do when it fires"
              wide
              onInput={(description) => set({ description })}
            />
            <ScopeFields draft={draft} set={set} error={shownError} devices={devices} />
            {draft.kind !== 'offline' && (
              <div class="row">
                <MetricField
                  value={draft.metric}
                  deviceId={scopedDevice}
                  error={shownError}
                  onInput={(metric) => set({ metric })}
                  onLabels={setLabelNames}
                />
              </div>
            )}
            {draft.kind !== 'offline' && (
              <MatchersEditor
                matchers={draft.matchers}
                labelNames={labelNames}
                error={shownError}
                onChange={(matchers) => set({ matchers })}
              />
            )}
            <ConditionFields draft={draft} set={set} error={shownError} />
            {conditionError && (
              <p class="field-error" role="alert" data-testid="error-condition">
                {withoutField(conditionError)}
              </p>
            )}
            <TimingFields draft={draft} set={set} error={shownError} />
            <div class="form-actions">
              <button type="submit" class="primary" disabled={busy} data-testid="rule-save">
                {saved ? 'Save changes' : 'Create rule'}
              </button>
              {notice && (
                <span role="status" data-testid="rule-saved">
                  {notice}
                </span>
              )}
            </div>
            <LeftoverError error={shownError} shown={[...paths, 'condition']} />
          </fieldset>
          {saved && canWrite && (
            <DeleteInPlace
              question={<>Delete the rule {saved.name}? Its open incidents are resolved; past ones stay.</>}
              label="Delete rule…"
              testId="rule-delete"
              doneHref="/alerts/rules"
              remove={() => alertsApi.deleteRule(saved.id)}
            />
          )}
        </form>
        <RulePreview rule={previewRule} devices={devices} onFieldError={setPreviewError} />
      </div>
      {saved && (
        <p class="hint">
          <a href={`/alerts?ruleId=${encodeURIComponent(saved.id)}`}>Incidents of this rule</a>
        </p>
      )}
    </main>
  );
}
