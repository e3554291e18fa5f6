/** Attributes `h` may set; `class` and `data-*`/`aria-*` included. Never `style` (the CSP forbids inline styles). */
export type Attrs = Record<string, string | number | boolean | undefined>;

type Child = Node | string | null | undefined | false;

/**
 * Creates an element. String children become text nodes, so data can never be parsed as
 * markup: this is the only way the dashboard puts user-supplied text on the page.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** Sets text only when it changed, so periodic refreshes don't churn the DOM. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Looks up an element the page's HTML is known to contain; a missing one is a bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}
