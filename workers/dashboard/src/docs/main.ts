import { byId, h } from '../dom.ts';
import { byTag, type ApiDocument } from './openapi-types.ts';
import { operationView, prose } from './operation-view.ts';

const root = byId('docs');

const tagAnchor = (tag: string) => `tag-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

function sidebar(groups: ReturnType<typeof byTag>): HTMLElement {
  return h(
    'nav',
    { class: 'sidebar', 'aria-label': 'Operations' },
    ...[...groups].map(([tag, entries]) =>
      h(
        'div',
        { class: 'nav-group' },
        h('a', { class: 'nav-tag', href: `#${tagAnchor(tag)}` }, tag),
        h(
          'ul',
          {},
          ...entries.map((e) =>
            h('li', {}, h('a', { href: `#${encodeURIComponent(e.op.operationId)}` }, `${e.method} ${e.path}`)),
          ),
        ),
      ),
    ),
  );
}

/** Fetches the OpenAPI document of this deployment and renders it; everything shown is text, never markup. */
async function start(): Promise<void> {
  try {
    const res = await fetch('/v1/openapi.json', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET /v1/openapi.json answered ${res.status}`);
    const doc = (await res.json()) as ApiDocument;
    const groups = byTag(doc);
    document.title = `${doc.info.title} ${doc.info.version}`;
    root.replaceChildren(
      sidebar(groups),
      h(
        'main',
        { class: 'content' },
        h('h1', {}, `${doc.info.title} `, h('span', { class: 'version' }, doc.info.version)),
        doc.info.description ? h('p', { class: 'intro' }, ...prose(doc.info.description)) : null,
        h('p', { class: 'intro' }, 'Machine-readable: ', h('a', { href: '/v1/openapi.json' }, '/v1/openapi.json')),
        ...[...groups].map(([tag, entries]) =>
          h('section', { class: 'tag', id: tagAnchor(tag) }, h('h2', {}, tag), ...entries.map(operationView)),
        ),
      ),
    );
  } catch (err) {
    root.replaceChildren(
      h(
        'p',
        { class: 'error', role: 'alert' },
        `Could not load the API reference: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }
}

void start();
