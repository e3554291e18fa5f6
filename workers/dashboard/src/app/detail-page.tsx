import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { navigate } from './router.ts';
import { errorMessage } from '../page-state.ts';

/**
 * A record's page before the record is here: "Loading the …", or why it could not be loaded
 * (a 404 says the record is not in this organisation). `tabs` is the section's navigation.
 */
export function DetailLoading(props: { error: unknown; what: string; testId: string; tabs: ComponentChildren }) {
  const { error, what } = props;
  return (
    <main class="page alerts-page" aria-busy={!error}>
      {props.tabs}
      {error ? (
        <p class="form-error" role="alert" data-testid={props.testId}>
          {(error as { status?: number }).status === 404
            ? `No such ${what} in this organisation.`
            : `Could not load the ${what}: ${errorMessage(error)}`}
        </p>
      ) : (
        <p class="muted">Loading the {what}…</p>
      )}
    </main>
  );
}

/**
 * A record page's danger zone: delete after a second click in place, then go to `doneHref`.
 * `testId` names the first button; the confirming one is `${testId}-confirm`.
 */
export function DeleteInPlace(props: {
  question: ComponentChildren;
  label: string;
  testId: string;
  doneHref: string;
  remove(): Promise<unknown>;
}) {
  const [armed, setArmed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = () =>
    props.remove().then(
      () => navigate(props.doneHref),
      (err: unknown) => setError(errorMessage(err)),
    );
  return (
    <div class="danger-zone">
      {armed ? (
        <div role="group" aria-label="Confirm deletion">
          <p>{props.question}</p>
          <button type="button" class="danger" onClick={() => void remove()} data-testid={`${props.testId}-confirm`}>
            Delete for good
          </button>{' '}
          <button type="button" class="device-secondary" onClick={() => setArmed(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" class="device-secondary" onClick={() => setArmed(true)} data-testid={props.testId}>
          {props.label}
        </button>
      )}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
