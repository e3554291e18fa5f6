import { useState } from 'preact/hooks';

/**
 * A button that copies `text` to the clipboard and says so for two seconds. When the
 * clipboard is refused (an insecure origin, a denied permission) it says that instead of
 * failing silently, so the user knows to select the text by hand.
 */
export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard
      .writeText(text)
      .then(() => setState('copied'))
      .catch(() => setState('failed'))
      .finally(() => setTimeout(() => setState('idle'), 2000));
  };
  return (
    <button type="button" class="copy-button" onClick={copy} data-testid={testId} aria-live="polite">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : label}
    </button>
  );
}

/** A command or secret shown verbatim, selectable, with a copy button beside it. */
export function CopyField({ text, label, testId }: { text: string; label: string; testId: string }) {
  return (
    <div class="copy-field">
      <code data-testid={testId} aria-label={label}>
        {text}
      </code>
      <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} testId={`${testId}-copy`} />
    </div>
  );
}
