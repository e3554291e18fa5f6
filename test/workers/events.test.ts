import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { deviceEventSubject, orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { api, seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';

describe('event log', () => {
  it('persists an event before publishing it to subscribers of its subject', async () => {
    const org = await seedOrg();
    const client = await connect(org.apiKey);
    expect(await client.ask({ type: 'subscribe', id: 'ev', subject: `org.${org.orgId}.**` })).toMatchObject({
      type: 'subscribed',
    });
    const res = await api(org.apiKey, '/v1/agent-config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-events-0001' },
      body: JSON.stringify({ intervals: { cpu: 30 } }),
    });
    expect(res.status).toBe(200);
    const frame = await client.next();
    expect(frame).toMatchObject({
      type: 'event',
      event: {
        type: 'config.changed',
        subject: `org.${org.orgId}.event.config_changed`,
        correlationId: 'req-events-0001',
      },
    });
    const stored = await env.DB.prepare('SELECT id FROM events WHERE id = ?')
      .bind((frame as unknown as { event: { id: string } }).event.id)
      .first();
    expect(stored).not.toBeNull();
  });

  it('delivers a device event only to patterns that match it', async () => {
    const org = await seedOrg();
    const client = await connect(org.apiKey);
    await client.ask({
      type: 'subscribe',
      id: 'offline',
      subject: `org.${org.orgId}.site.*.device.*.event.device_offline`,
    });
    await recordEvent(env, {
      orgId: org.orgId,
      type: 'config.changed',
      subject: orgEventSubject(org.orgId, 'config.changed'),
      correlationId: null,
      data: {},
    });
    const offline = await recordEvent(env, {
      orgId: org.orgId,
      type: 'device.offline',
      subject: deviceEventSubject(org.orgId, null, 'dev_abc12345', 'device.offline'),
      correlationId: 'sess-1',
      data: { reason: 'socket closed' },
    });
    expect(await client.next()).toMatchObject({ type: 'event', event: { id: offline.id, type: 'device.offline' } });
  });
});
