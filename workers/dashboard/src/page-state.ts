import { ApiError, NetworkError } from './api.ts';
import { h } from './dom.ts';

/** A page of the signed-in app: its element and how to stop its timers and requests. */
export interface Page {
  el: HTMLElement;
  destroy(): void;
}

/** Everything a page needs from the app around it. */
export interface PageContext {
  /** The session is gone (a 401): the app returns to the sign-in form. */
  onUnauthenticated(): void;
  /** The session was ended on purpose (signed out, left the organisation): the sign-in form, with `notice`. */
  signedOut(notice?: string): void;
  /** Aborted when the page goes away. */
  signal: AbortSignal;
}

/** A sentence for an error from the API, specific where the API says why. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403 && err.code === 'forbidden') return `Your role does not allow this: ${err.message}.`;
    if (err.status === 429) return 'Too many attempts. Wait a minute and try again.';
    return `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.`;
  }
  if (err instanceof NetworkError) return 'Could not reach Edgewatch. Check your connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

/**
 * A status line for a list: "Loading…", an empty message, or an error (role=alert). One element
 * per list, so a screen reader hears each change.
 */
export class ListStatus {
  readonly el = h('p', { class: 'list-status', role: 'status' });

  constructor(testId: string) {
    this.el.setAttribute('data-testid', testId);
    this.loading();
  }

  loading(text = 'Loading…'): void {
    this.set(text, 'loading');
  }

  /** Shows `text` when the list is empty, hides the line otherwise. */
  count(n: number, emptyText: string): void {
    if (n === 0) this.set(emptyText, 'empty');
    else this.set('', 'ready');
  }

  error(err: unknown, what: string): void {
    this.set(`Could not load ${what}: ${errorMessage(err)}`, 'error');
  }

  private set(text: string, state: string): void {
    this.el.textContent = text;
    this.el.hidden = text === '';
    this.el.dataset.state = state;
    this.el.classList.toggle('error', state === 'error');
  }
}

/** A form's message line: errors in red with role=alert, confirmations in the notice style. */
export function formMessage(testId: string): {
  el: HTMLElement;
  error(text: string): void;
  ok(text: string): void;
  clear(): void;
} {
  const el = h('p', { class: 'form-error', role: 'alert', 'data-testid': testId, hidden: true });
  return {
    el,
    error(text) {
      el.className = 'form-error';
      el.textContent = text;
      el.hidden = false;
    },
    ok(text) {
      el.className = 'notice';
      el.textContent = text;
      el.hidden = false;
    },
    clear() {
      el.hidden = true;
      el.textContent = '';
    },
  };
}

/** Runs `action` with `button` disabled, so a double click sends one request. */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

/** A labelled input: the `<label for>` pairing makes it reachable by name for keyboards and tests. */
export function field(
  id: string,
  label: string,
  attrs: Record<string, string | boolean>,
): { wrap: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { id, name: id, ...attrs });
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}

/**
 * A button for a destructive action that asks once more in place ("Remove" → "Really remove?")
 * instead of a modal dialog; the second click within 5 s runs `action`.
 */
export function confirmButton(
  label: string,
  confirmLabel: string,
  attrs: Record<string, string>,
  action: () => Promise<void>,
): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary danger', ...attrs }, label);
  let armed: ReturnType<typeof setTimeout> | null = null;
  button.addEventListener('click', () => {
    if (!armed) {
      button.textContent = confirmLabel;
      button.dataset.armed = 'true';
      armed = setTimeout(() => {
        armed = null;
        button.textContent = label;
        delete button.dataset.armed;
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    delete button.dataset.armed;
    void busy(button, action);
  });
  return button;
}
