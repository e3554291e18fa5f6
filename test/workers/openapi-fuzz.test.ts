import { env, SELF } from 'cloudflare:test';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import { alertObjects } from './alert-fixtures.ts';
import { siteObjects } from './site-fixtures.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { type JsonSchema, mutantOf, valueOf } from './openapi-arbitraries.ts';

/**
 * Drives every operation of /v1/openapi.json with inputs built from its own schemas: valid ones
 * (which must not be refused with 400) and mutated ones. Every answer must be below 500, have a
 * documented status and content type, and a body that validates against the documented schema.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}
interface Media {
  schema?: JsonSchema;
}
interface Operation {
  operationId: string;
  security: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': Media } };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Op {
  name: string;
  method: string;
  path: string;
  op: Operation;
}
interface Input {
  path: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
}

/** Valid runs and mutated runs per operation: enough to find a mismatch, small enough for `npm test`. */
const RUNS = 12;

/**
 * Refusals of inputs each field's schema allows, because of a rule across fields or against the
 * clock that JSON Schema cannot state; each operation's description states it.
 */
const STATED_RULES = [
  /from must be before to/,
  /more than 10 minutes in the future/,
  /give either series=… or device=…/,
  /metric narrows a device=… export/,
  // Export: the compact row form exists only for NDJSON (stated on the operation and on `rows`).
  /rows=compact is an NDJSON form/,
  /must be at least retention\./,
  /is not a multiple of the \w+ source's/,
  /points; use a larger step or a shorter range/,
  // Cursors are opaque: only one a previous page handed out is a cursor.
  /not a cursor from a previous page/,
  /siteId: no site .* in this organisation/,
  // Ingest: one value per series and timestamp (stated in the route's description and 400).
  /repeats the metric, labels and ts of samples/,
  // Silences: a window after its start, in the future, at most 90 days; matchers naming the org's own objects.
  /endsAt: endsAt must be after startsAt/,
  /endsAt: endsAt must be in the future/,
  /endsAt: a silence may last at most 90 days/,
  /matchers\.\d+\.value: no (rule|device|site) .* in this organisation/,
  // Webhook URLs: the SSRF guard (scheme, and what the host is or resolves to), stated on the operations.
  /webhook URL/,
  // A channel's kind is fixed: `url` only for the URL kinds, `hosts` only for host channels (stated on PATCH).
  /a host channel has no URL|only a host channel has targets/,
  // Alert rules: checks across a rule's fields and against the org's devices and sites (RULE_CHECKS).
  /"code":"invalid_rule"/,
  // Sites, controllers, trend logs (stated on their operations): time zones the runtime knows, the
  // org's own objects, a trend log's one scope, no repeated entries, raw registers' cross-field rules.
  /timeZone is not an IANA time zone/,
  /: no (gateway|controller) .* in this organisation/,
  /is not (at site|polled by gateway)/,
  /give exactly one of siteId and gatewayDeviceId/,
  /is listed twice|is used twice/,
  /is for 16-bit types|runs past register 65535/,
];

const document = (await (await SELF.fetch('http://test/v1/openapi.json')).json()) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
};
const ops: Op[] = Object.entries(document.paths).flatMap(([path, byMethod]) =>
  Object.entries(byMethod).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })),
);

const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: document.components });
const validators = new Map<JsonSchema, ReturnType<typeof ajv.compile>>();
function validate(schema: JsonSchema, value: unknown): string | undefined {
  let v = validators.get(schema);
  if (!v) {
    const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    v = ajv.compile(resolved);
    validators.set(schema, v);
  }
  return v(value) ? undefined : ajv.errorsText(v.errors);
}

let org: TestOrg;
let deviceToken: string;
const realIds: Record<string, string> = {};

/** A further admin key of the same org, so each operation has its own rate-limit budget. */
async function keyOf(orgId: string): Promise<string> {
  const key = newApiKey();
  await env.DB.prepare(
    'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(newId('key'), orgId, 'fuzz', key.slice(0, 12), await sha256Hex(key), '["read","write","admin"]', Date.now())
    .run();
  return key;
}

beforeAll(async () => {
  org = await seedOrg();
  const device = await enroll(org, 'fuzz-host');
  deviceToken = device.deviceToken;
  expect(
    (await ingest(deviceToken, batch('f-1', [{ metric: 'fuzz_m', ts: Date.now() - 1000, value: 1 }]))).status,
  ).toBe(200);
  let seriesId: string | undefined;
  for (let i = 0; i < 50 && !seriesId; i++) {
    const found = (await (await api(org.apiKey, '/v1/series?metric=fuzz_m')).json()) as { series: { id: string }[] };
    seriesId = found.series[0]?.id;
    if (!seriesId) await new Promise((r) => setTimeout(r, 50));
  }
  Object.assign(realIds, {
    '/v1/devices/': device.deviceId,
    '/v1/series/': seriesId!,
    ...(await alertObjects(org, device.deviceId, seriesId!)),
    ...(await siteObjects(org)),
  });
});

function inputs(o: Op, mutate: boolean): fc.Arbitrary<Input> {
  const params = o.op.parameters ?? [];
  const value = (p: Parameter) => (mutate ? mutantOf(p.schema) : valueOf(p.schema)).map(asParameter);
  const real = Object.entries(realIds).find(([prefix]) => o.path.startsWith(prefix))?.[1];
  // Real objects only for reads and updates: deletes and revocations get ids that match nothing.
  const useReal = real !== undefined && ['get', 'patch', 'put'].includes(o.method);
  const path = fc.record(
    Object.fromEntries(
      params
        .filter((p) => p.in === 'path')
        .map((p) => [p.name, useReal ? fc.oneof(fc.constant(real), value(p)) : value(p)]),
    ),
  );
  const query = fc.record(Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, value(p)])), {
    requiredKeys: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
  });
  const media = o.op.requestBody?.content['application/json'];
  const body = media?.schema ? (mutate ? mutantOf(media.schema) : valueOf(media.schema)) : fc.constant(undefined);
  return fc.record({ path, query, body }) as fc.Arbitrary<Input>;
}

const asParameter = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));

async function send(o: Op, input: Input, auth: string | undefined): Promise<Response> {
  const path = o.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(input.path[name] ?? ''));
  const url = new URL(`http://test${path}`);
  for (const [k, v] of Object.entries(input.query)) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Bearer ${auth}`;
  const hasBody = o.op.requestBody !== undefined && input.body !== undefined;
  if (hasBody) headers['content-type'] = 'application/json';
  return SELF.fetch(url, {
    method: o.method.toUpperCase(),
    headers,
    ...(hasBody ? { body: JSON.stringify(input.body) } : {}),
  });
}

/** Holds one answer to what the document says of its operation; returns the problem, if any. */
async function problem(o: Op, input: Input, res: Response, valid: boolean): Promise<string | undefined> {
  const where = `${o.name} ${JSON.stringify(input).slice(0, 300)} → ${res.status}`;
  const documented = o.op.responses[String(res.status)];
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'text/event-stream') {
    await res.body?.cancel();
    return documented?.content?.['text/event-stream'] ? undefined : `${where}: undocumented event stream`;
  }
  const text = await res.text();
  if (!documented) return `${where}: status not documented (${text.slice(0, 200)})`;
  // Only a documented condition of the deployment (no agent built, a dependency down) may be a 5xx.
  if (res.status >= 500 && res.status !== 503) return `${where}: a server error ${text}`;
  if (text === '') return undefined;
  const media = Object.entries(documented.content ?? {}).find(([t]) => t.split(';')[0]!.trim() === type)?.[1];
  if (!media) return `${where}: content type "${type}" not documented`;
  if (type === 'application/json' && media.schema) {
    const error = validate(media.schema, JSON.parse(text));
    if (error) return `${where}: body does not match the documented schema: ${error} ${text.slice(0, 300)}`;
  }
  if (valid && res.status === 400 && !STATED_RULES.some((rule) => rule.test(text))) {
    return `${where}: an input the document allows was refused: ${text}`;
  }
  return undefined;
}

describe('every operation of /v1/openapi.json, driven from its own schemas', () => {
  it.each(ops.map((o) => [o.name, o] as const))('%s answers as documented', async (_n, o) => {
    const caller = o.op.security.some((s) => 'apiKey' in s);
    const device = o.op.security.some((s) => 'deviceToken' in s);
    const auth = caller ? await keyOf(org.orgId) : device ? deviceToken : undefined;
    for (const mutate of [false, true]) {
      await fc.assert(
        fc.asyncProperty(inputs(o, mutate), async (input) => {
          const found = await problem(o, input, await send(o, input, auth), !mutate);
          if (found) throw new Error(found);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
  });
});
