import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../schema/wire/alerts.ts';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { auditRows, signIn } from './account-helpers.ts';
import { api, enroll, seedOrg, seedUser, type TestOrg } from './helpers.ts';
import { insertIncident, recordingApp, withCookie, withKey } from './incident-fixtures.ts';

let org: TestOrg;
let other: TestOrg;
let deviceId: string;
let memberId: string;
let member: string;
let viewer: string;
let theirs: string;

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  deviceId = (await enroll(org, 'web-1')).deviceId;
  theirs = await insertIncident(other.orgId, (await enroll(other, 'elsewhere')).deviceId);
  memberId = await seedUser(org.orgId, `member-${org.orgId}@example.com`, 'member-password-1', 'member');
  await seedUser(org.orgId, `viewer-${org.orgId}@example.com`, 'viewer-password-1', 'viewer');
  member = await signIn(`member-${org.orgId}@example.com`, 'member-password-1');
  viewer = await signIn(`viewer-${org.orgId}@example.com`, 'viewer-password-1');
});

async function eventsOf(type: string, incidentId: string): Promise<StreamEvent[]> {
  const res = await api(org.apiKey, `/v1/events?type=${type}`);
  expect(res.status).toBe(200);
  const { events } = (await res.json()) as { events: StreamEvent[] };
  return events.filter((e) => e.data.incidentId === incidentId);
}

const row = (id: string) =>
  env.DB.prepare('SELECT acknowledged_at, acknowledged_by, ack_note FROM incidents WHERE id = ?')
    .bind(id)
    .first<{ acknowledged_at: number | null; acknowledged_by: string | null; ack_note: string | null }>();

describe('POST /v1/incidents/:id/ack', () => {
  it("records a member's acknowledgement with the note: the row, an event on the log, an audit row and a notification", async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const { sent, fetch } = recordingApp();
    const before = Date.now();
    const res = await fetch(`/v1/incidents/${id}/ack`, withCookie(member, 'POST', { note: 'Rotating logs' }));
    expect(res.status, await res.clone().text()).toBe(200);
    const view = (await res.json()) as IncidentView;
    expect(view).toMatchObject({ id, state: 'firing', acknowledged: { by: memberId, note: 'Rotating logs' } });
    expect(view.acknowledged!.at).toBeGreaterThanOrEqual(before);
    expect(await row(id)).toEqual({
      acknowledged_at: view.acknowledged!.at,
      acknowledged_by: memberId,
      ack_note: 'Rotating logs',
    });

    const [event, ...more] = await eventsOf('alert.acknowledged', id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'alert.acknowledged',
      subject: `org.${org.orgId}.site._.device.${deviceId}.event.alert_acknowledged`,
      ts: view.acknowledged!.at,
      data: { incidentId: id, deviceId, by: memberId, note: 'Rotating logs', severity: 'critical' },
    });

    const [audit, ...moreAudit] = (await auditRows(org.orgId, 'acknowledgeIncident')).filter((r) => r.target_id === id);
    expect(moreAudit).toEqual([]);
    expect(audit).toMatchObject({
      actor_type: 'user',
      actor_id: memberId,
      target_type: 'incident',
      outcome: 'success',
    });
    expect(JSON.parse(audit!.changes as string)).toEqual({
      before: { acknowledgedAt: null, acknowledgedBy: null, ackNote: null },
      after: { acknowledgedAt: view.acknowledged!.at, acknowledgedBy: memberId, ackNote: 'Rotating logs' },
    });

    expect(sent).toEqual([
      {
        type: 'alert.notify',
        orgId: org.orgId,
        incidentId: id,
        transition: 'acknowledged',
        repeat: false,
        at: view.acknowledged!.at,
      },
    ]);
  });

  it('is idempotent: acknowledging again answers the first acknowledgement and writes nothing', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const { sent, fetch } = recordingApp();
    const first = (await (
      await fetch(`/v1/incidents/${id}/ack`, withKey(org.apiKey, 'POST', { note: 'first' }))
    ).json()) as IncidentView;
    const again = await fetch(`/v1/incidents/${id}/ack`, withKey(org.apiKey, 'POST', { note: 'second' }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as IncidentView).acknowledged).toEqual(first.acknowledged);
    expect(await eventsOf('alert.acknowledged', id)).toHaveLength(1);
    expect((await auditRows(org.orgId, 'acknowledgeIncident')).filter((r) => r.target_id === id)).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it('settles two acknowledgements at once into one: one event and one audit row, both answered with it', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const answers = await Promise.all(
      ['a', 'b'].map(async (note) => api(org.apiKey, `/v1/incidents/${id}/ack`, withKey(org.apiKey, 'POST', { note }))),
    );
    const views = (await Promise.all(answers.map((r) => r.json()))) as IncidentView[];
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(views[0]!.acknowledged).toEqual(views[1]!.acknowledged);
    const events = await eventsOf('alert.acknowledged', id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.note).toBe(views[0]!.acknowledged!.note);
    expect((await auditRows(org.orgId, 'acknowledgeIncident')).filter((r) => r.target_id === id)).toHaveLength(1);
  });

  it('by an API key: no user to show (by null), the key named in the audit row', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const res = await api(org.apiKey, `/v1/incidents/${id}/ack`, withKey(org.apiKey, 'POST', {}));
    expect(res.status).toBe(200);
    expect(((await res.json()) as IncidentView).acknowledged).toMatchObject({ by: null, note: null });
    const [audit] = (await auditRows(org.orgId, 'acknowledgeIncident')).filter((r) => r.target_id === id);
    const keyId = await env.DB.prepare("SELECT id FROM api_keys WHERE org_id = ? AND name = 'test'")
      .bind(org.orgId)
      .first<{ id: string }>();
    expect(audit).toMatchObject({ actor_type: 'api_key', actor_id: keyId!.id });
    expect((await eventsOf('alert.acknowledged', id))[0]!.data).toMatchObject({ by: null });
  });

  it('acknowledges a pending incident without notifying channels, which never heard of it', async () => {
    const id = await insertIncident(org.orgId, deviceId, { state: 'pending' });
    const { sent, fetch } = recordingApp();
    const res = await fetch(`/v1/incidents/${id}/ack`, withKey(org.apiKey, 'POST', {}));
    expect(res.status).toBe(200);
    expect(((await res.json()) as IncidentView).acknowledged).not.toBeNull();
    expect(await eventsOf('alert.acknowledged', id)).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it('refuses a resolved incident with 409 incident_resolved and records nothing', async () => {
    const id = await insertIncident(org.orgId, deviceId, { state: 'resolved' });
    const { sent, fetch } = recordingApp();
    for (const action of ['ack', 'unack']) {
      const res = await fetch(
        `/v1/incidents/${id}/${action}`,
        withKey(org.apiKey, 'POST', action === 'ack' ? {} : undefined),
      );
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: 'incident_resolved' } });
    }
    expect(await row(id)).toEqual({ acknowledged_at: null, acknowledged_by: null, ack_note: null });
    expect(await eventsOf('alert.acknowledged', id)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('is refused to a viewer (403, nothing changes) and allowed to a member', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const refused = await recordingApp().fetch(`/v1/incidents/${id}/ack`, withCookie(viewer, 'POST', {}));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await row(id))!.acknowledged_at).toBeNull();
    expect((await recordingApp().fetch(`/v1/incidents/${id}`, withCookie(viewer, 'GET'))).status).toBe(200);
    expect((await recordingApp().fetch(`/v1/incidents/${id}/ack`, withCookie(member, 'POST', {}))).status).toBe(200);
  });

  it('refuses a note over 1000 characters with 400 naming note', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const res = await api(
      org.apiKey,
      `/v1/incidents/${id}/ack`,
      withKey(org.apiKey, 'POST', { note: 'x'.repeat(1001) }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'note' } });
    expect((await row(id))!.acknowledged_at).toBeNull();
  });

  it("answers 404 for another organisation's incident, and leaves it alone", async () => {
    for (const [action, body] of [
      ['ack', {}],
      ['unack', undefined],
    ] as const) {
      const res = await api(org.apiKey, `/v1/incidents/${theirs}/${action}`, withKey(org.apiKey, 'POST', body));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await row(theirs))!.acknowledged_at).toBeNull();
  });
});

describe('POST /v1/incidents/:id/unack', () => {
  it('withdraws an acknowledgement: the row, an alert.unacknowledged event, an audit row and a notification', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const { sent, fetch } = recordingApp();
    expect((await fetch(`/v1/incidents/${id}/ack`, withCookie(member, 'POST', { note: 'mine' }))).status).toBe(200);
    const res = await fetch(`/v1/incidents/${id}/unack`, withCookie(member, 'POST'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, acknowledged: null, state: 'firing' });
    expect(await row(id)).toEqual({ acknowledged_at: null, acknowledged_by: null, ack_note: null });

    const [event, ...more] = await eventsOf('alert.unacknowledged', id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'alert.unacknowledged', data: { incidentId: id, by: memberId } });
    const [audit] = (await auditRows(org.orgId, 'unacknowledgeIncident')).filter((r) => r.target_id === id);
    expect(JSON.parse(audit!.changes as string)).toMatchObject({
      before: { acknowledgedBy: memberId, ackNote: 'mine' },
      after: { acknowledgedAt: null, acknowledgedBy: null, ackNote: null },
    });
    expect(sent.map((m) => m.transition)).toEqual(['acknowledged', 'unacknowledged']);

    // Acknowledged again after that: a second episode of the same incident.
    expect((await fetch(`/v1/incidents/${id}/ack`, withCookie(member, 'POST', {}))).status).toBe(200);
    expect(await eventsOf('alert.acknowledged', id)).toHaveLength(2);
  });

  it('changes nothing on an incident nobody acknowledged', async () => {
    const id = await insertIncident(org.orgId, deviceId);
    const { sent, fetch } = recordingApp();
    const res = await fetch(`/v1/incidents/${id}/unack`, withKey(org.apiKey, 'POST'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, acknowledged: null });
    expect(await eventsOf('alert.unacknowledged', id)).toEqual([]);
    expect(await auditRows(org.orgId, 'unacknowledgeIncident')).not.toContainEqual(
      expect.objectContaining({ target_id: id }),
    );
    expect(sent).toEqual([]);
  });

  it('is refused to a viewer', async () => {
    const id = await insertIncident(org.orgId, deviceId, { acknowledgedAt: Date.now() });
    const res = await recordingApp().fetch(`/v1/incidents/${id}/unack`, withCookie(viewer, 'POST'));
    expect(res.status).toBe(403);
    expect((await row(id))!.acknowledged_at).not.toBeNull();
  });
});
