import { CheckFailed, expectStatus, type Api } from './api.ts';

/** The metric the smoke writes; its device is deleted afterwards, and its series with it. */
export const METRIC = 'edgewatch_smoke_probe';

export interface SmokeContext {
  api: Api;
  timeoutMs: number;
  webhookUrl: string | undefined;
  /** What the checks created or learned, for the checks after them and the cleanup. */
  made: {
    orgId?: string;
    tokenId?: string;
    token?: string;
    deviceId?: string;
    deviceToken?: string;
    seriesId?: string;
    /** The sample the ingest check wrote. */
    sample?: { ts: number; value: number };
    webhookId?: string;
  };
}

export interface Check {
  name: string;
  /** Does the check; returns a short detail for the report, or throws {@link CheckFailed}. */
  run(ctx: SmokeContext): Promise<string>;
}

interface DeepHealth {
  status: string;
  failing?: string[];
  checks: Record<string, { ok: boolean; ms: number }>;
}

export async function health(ctx: SmokeContext): Promise<string> {
  const answer = await ctx.api.call('GET', '/health/deep');
  const body = answer.body as DeepHealth | undefined;
  if (answer.status === 503 && body?.failing)
    throw new CheckFailed(`GET /health/deep: failing ${body.failing.join(', ')}`);
  const { checks } = expectStatus<DeepHealth>(answer, 200, 'GET /health/deep');
  return Object.entries(checks)
    .map(([name, c]) => `${name} ${c.ms} ms`)
    .join(', ');
}

export async function credential(ctx: SmokeContext): Promise<string> {
  const me = expectStatus<{ orgId: string; via: string; scopes?: string[] }>(
    await ctx.api.call('GET', '/v1/auth/me'),
    200,
    'GET /v1/auth/me with the key',
  );
  if (!me.scopes?.includes('admin')) {
    throw new CheckFailed(
      `the key's scopes are ${JSON.stringify(me.scopes ?? [])}; the smoke needs an admin key ` +
        '(it creates an enrollment token and deletes its test device): create one under API keys with the admin scope',
    );
  }
  ctx.made.orgId = me.orgId;
  return `organisation ${me.orgId}`;
}

export async function enrollmentToken(ctx: SmokeContext): Promise<string> {
  const body = { kind: 'host', expiresInHours: 1, maxUses: 1 };
  const made = expectStatus<{ id: string; token: string }>(
    await ctx.api.call('POST', '/v1/enrollment-tokens', { body }),
    201,
    'POST /v1/enrollment-tokens',
  );
  ctx.made.tokenId = made.id;
  ctx.made.token = made.token;
  return `${made.id} (one use, expires in 1 h)`;
}

export async function enroll(ctx: SmokeContext): Promise<string> {
  const name = `edgewatch-smoke-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const device = expectStatus<{ deviceId: string; deviceToken: string }>(
    await ctx.api.call('POST', '/v1/agents/enroll', { body: { token: ctx.made.token, name, agentVersion: 'smoke' } }),
    201,
    'POST /v1/agents/enroll',
  );
  ctx.made.deviceId = device.deviceId;
  ctx.made.deviceToken = device.deviceToken;
  return `${device.deviceId} (${name})`;
}

/** Ingests one sample of {@link METRIC} as the test device; resolves once the Worker acknowledged it. */
export async function ingestOne(ctx: SmokeContext, sample: { ts: number; value: number }): Promise<void> {
  const batch = { batchId: `smoke-${sample.ts}-${sample.value}`, samples: [{ metric: METRIC, ...sample }] };
  const ack = expectStatus<{ accepted: number }>(
    await ctx.api.call('POST', '/v1/ingest', { body: batch, bearer: ctx.made.deviceToken }),
    200,
    'POST /v1/ingest with the device token',
  );
  if (ack.accepted !== 1) throw new CheckFailed(`POST /v1/ingest accepted ${ack.accepted} samples, expected 1`);
}

/** A value that tells this run's samples apart from any other's. */
export const probeValue = () => Math.round(Math.random() * 1e6) / 100;

export async function ingest(ctx: SmokeContext): Promise<string> {
  const sample = { ts: Date.now(), value: probeValue() };
  await ingestOne(ctx, sample);
  ctx.made.sample = sample;
  return `${METRIC}=${sample.value} at ${new Date(sample.ts).toISOString()}`;
}

export async function latest(ctx: SmokeContext): Promise<string> {
  const path = `/v1/devices/${ctx.made.deviceId}/latest`;
  const { values } = expectStatus<{ values: { seriesId: string; metric: string; ts: number; value: number }[] }>(
    await ctx.api.call('GET', path),
    200,
    `GET ${path}`,
  );
  const got = values.find((v) => v.metric === METRIC);
  const { ts, value } = ctx.made.sample!;
  if (!got || got.ts !== ts || got.value !== value) {
    throw new CheckFailed(`GET ${path}: expected ${METRIC}=${value} at ${ts}, got ${JSON.stringify(got ?? null)}`);
  }
  ctx.made.seriesId = got.seriesId;
  return `series ${got.seriesId}`;
}

export async function history(ctx: SmokeContext): Promise<string> {
  const { ts, value } = ctx.made.sample!;
  const path = `/v1/series/${ctx.made.seriesId}/history?from=${ts - 60_000}&to=${ts + 60_000}`;
  const read = expectStatus<{ points: { ts: number; value: number }[]; source: string }>(
    await ctx.api.call('GET', path),
    200,
    `GET ${path}`,
  );
  if (!read.points.some((p) => p.ts === ts && p.value === value)) {
    throw new CheckFailed(
      `GET ${path}: the sample at ${ts} is missing from ${JSON.stringify(read.points).slice(0, 200)}`,
    );
  }
  return `${read.points.length} point(s) from ${read.source}`;
}

/** Undoes what the checks made, newest first, as far as the API allows; one line per thing. */
export function cleanup(ctx: SmokeContext): { name: string; run: () => Promise<string> }[] {
  const { webhookId, deviceId, tokenId } = ctx.made;
  const remove = (what: string, method: string, path: string, status: number) => ({
    name: `cleanup: ${what}`,
    run: async () => {
      expectStatus(await ctx.api.call(method, path), status, `${method} ${path}`);
      return path;
    },
  });
  return [
    ...(webhookId ? [remove('delete the webhook', 'DELETE', `/v1/webhooks/${webhookId}`, 204)] : []),
    // Deleting the device also deletes its series and samples and ends its token.
    ...(deviceId ? [remove('delete the device', 'DELETE', `/v1/devices/${deviceId}`, 204)] : []),
    // Enrollment tokens are revoked, not deleted: the audit log keeps their history.
    ...(tokenId ? [remove('revoke the enrollment token', 'DELETE', `/v1/enrollment-tokens/${tokenId}`, 200)] : []),
  ];
}
