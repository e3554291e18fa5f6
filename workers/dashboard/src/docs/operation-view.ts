import { h } from '../dom.ts';
import type { ApiMedia, ApiParameter, Entry } from './openapi-types.ts';

const AUTH_LABELS: Record<string, string> = {
  apiKey: 'API key',
  session: 'session cookie',
  deviceToken: 'device token',
};

/**
 * Prose from the document with its `code` spans set as <code>: text nodes only, so nothing
 * in the document is ever parsed as markup.
 */
export function prose(text: string): (string | HTMLElement)[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? h('code', {}, part) : part));
}

/** Text for an example: strings as they are, anything else as indented JSON. */
const exampleText = (example: unknown) => (typeof example === 'string' ? example : JSON.stringify(example, null, 2));

/** A short type label from a JSON Schema: `integer 1–1000`, `"a" | "b"`, `string`. */
function typeLabel(schema: Record<string, unknown> = {}): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any');
  const range =
    schema.minimum !== undefined || schema.maximum !== undefined
      ? ` ${String(schema.minimum ?? '')}–${String(schema.maximum ?? '')}`
      : '';
  return type + range;
}

function parameterTable(parameters: ApiParameter[]): HTMLElement {
  return h(
    'table',
    { class: 'params' },
    h(
      'thead',
      {},
      h('tr', {}, ...['name', 'in', 'type', 'required', 'description', 'example'].map((c) => h('th', {}, c))),
    ),
    h(
      'tbody',
      {},
      ...parameters.map((p) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, p.name)),
          h('td', {}, p.in),
          h('td', {}, typeLabel(p.schema)),
          h('td', {}, p.required ? 'yes' : 'no'),
          h(
            'td',
            {},
            ...prose(
              p.description ?? (p.schema?.default !== undefined ? `default ${JSON.stringify(p.schema.default)}` : ''),
            ),
          ),
          h('td', {}, p.example === undefined ? '' : h('code', {}, String(p.example))),
        ),
      ),
    ),
  );
}

function media(title: string, content: Record<string, ApiMedia> | undefined): HTMLElement | null {
  const [type, body] = Object.entries(content ?? {})[0] ?? [];
  if (!type || body?.example === undefined) return null;
  return h(
    'div',
    { class: 'example' },
    h('div', { class: 'example-title' }, `${title} (${type})`),
    h('pre', {}, exampleText(body.example)),
  );
}

/** One operation: method, path, summary, auth and scope, parameters, request and response examples. */
export function operationView({ method, path, op }: Entry): HTMLElement {
  const auth = (op.security ?? []).flatMap((s) => Object.keys(s).map((k) => AUTH_LABELS[k] ?? k));
  const params = op.parameters ?? [];
  return h(
    'section',
    { class: 'operation', id: op.operationId, 'data-testid': 'operation', 'data-method': method, 'data-path': path },
    h(
      'h3',
      {},
      h('span', { class: `method method-${method.toLowerCase()}` }, method),
      ' ',
      h('code', { class: 'path' }, path),
    ),
    h('p', { class: 'summary' }, op.summary),
    op.description ? h('p', { class: 'description' }, ...prose(op.description)) : null,
    h(
      'p',
      { class: 'auth' },
      auth.length > 0 ? `Authentication: ${auth.join(' or ')}` : 'No authentication',
      op['x-required-scope'] ? h('span', { class: 'scope' }, ` · scope ${op['x-required-scope']}`) : null,
    ),
    params.length > 0 ? parameterTable(params) : null,
    media('Request body', op.requestBody?.content),
    h(
      'div',
      { class: 'responses' },
      ...Object.entries(op.responses).map(([status, r]) =>
        h(
          'details',
          { class: 'response', open: Number(status) < 300 },
          h('summary', {}, h('span', { class: `status status-${status[0]}xx` }, status), ' ', ...prose(r.description)),
          media('Example', r.content),
        ),
      ),
    ),
  );
}
