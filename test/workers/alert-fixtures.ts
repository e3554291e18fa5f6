import { env } from 'cloudflare:test';
import { db, schema } from '../../workers/src/db.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { api, type TestOrg } from './helpers.ts';
import { insertIncident, insertRule } from './incident-fixtures.ts';

/**
 * One of each object the alert paths name (an incident, a silence, a rule, a webhook and a
 * delivery of it), for the tests that walk every operation of the document (conformance, fuzz,
 * permission matrix), keyed by the path prefix that names it: `{ '/v1/incidents/': 'inc_…', … }`.
 * Rows go straight into D1 as the DeviceHub and the queue consumer write them; the webhook is
 * created through the API, which encrypts its secret.
 */
export async function alertObjects(org: TestOrg, deviceId: string, seriesId: string): Promise<Record<string, string>> {
  const now = Date.now();
  const incidentId = await insertIncident(org.orgId, deviceId, { seriesId });
  const ruleId = await insertRule(org.orgId);
  const silenceId = newId('sil');
  await db(env.DB)
    .insert(schema.silences)
    .values({
      id: silenceId,
      orgId: org.orgId,
      matchers: [{ field: 'device', value: deviceId }],
      startsAt: now,
      endsAt: now + 3_600_000,
      createdAt: now,
    });
  const res = await api(org.apiKey, '/v1/webhooks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fixture', url: 'https://receiver.test/fixture/ok' }),
  });
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${await res.text()}`);
  const webhookId = ((await res.json()) as { id: string }).id;
  // Delivered, so it may be redelivered.
  const deliveryId = newId('dlv');
  await db(env.DB).insert(schema.deliveries).values({
    id: deliveryId,
    orgId: org.orgId,
    webhookId,
    eventType: 'webhook.test',
    body: '{}',
    state: 'delivered',
    attempts: 1,
    createdAt: now,
  });
  return {
    '/v1/incidents/': incidentId,
    '/v1/silences/': silenceId,
    '/v1/alert-rules/': ruleId,
    '/v1/webhooks/': webhookId,
    '/v1/deliveries/': deliveryId,
  };
}
