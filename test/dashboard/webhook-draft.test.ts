import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webhookFilters, type AlertRuleView } from '../../schema/wire/alerts.ts';
import type { DeviceView } from '../../schema/wire/telemetry.ts';
import {
  bodyOf,
  deviceChoices,
  draftOf,
  emptyDraft,
  filtersText,
  HOST_TARGET_CHOICES,
  hostTargetText,
  kindChoices,
  splitList,
  updateOf,
  type WebhookDraft,
} from '../../workers/dashboard/src/pages/webhooks/draft.ts';
import { createWebhookBody, updateWebhookBody } from '../../workers/src/services/notify/requests.ts';

const device = (id: string, name: string) => ({ id, name }) as DeviceView;
const rule = (id: string, name: string) => ({ id, name }) as AlertRuleView;

describe('the notification channel draft', () => {
  it('sends a host channel without a URL, whatever was typed into it before the kind changed', () => {
    const draft: WebhookDraft = { ...emptyDraft(), name: ' Terminals ', kind: 'host', url: 'https://left.over' };
    const body = bodyOf(draft);
    expect(body).toEqual({ name: 'Terminals', kind: 'host', filters: {}, hosts: 'covered', enabled: true });
    expect('url' in body).toBe(false);
    expect(createWebhookBody.safeParse(body).success).toBe(true);
  });

  it('sends a URL channel with its trimmed URL', () => {
    const body = bodyOf({ ...emptyDraft(), name: 'Pager', kind: 'slack', url: ' https://hooks.example.com/x ' });
    expect(body).toEqual({
      name: 'Pager',
      kind: 'slack',
      url: 'https://hooks.example.com/x',
      filters: {},
      enabled: true,
    });
    expect(createWebhookBody.safeParse(body).success).toBe(true);
  });

  it('sends device and tag filters beside the others, and leaves empty ones out', () => {
    const draft: WebhookDraft = {
      ...emptyDraft(),
      name: 'Web hosts',
      kind: 'host',
      severities: ['critical'],
      deviceIds: ['dev_1', 'dev_2', 'dev_1'],
      siteIds: ' , ',
      tags: ' web, db ,,web ',
    };
    expect(bodyOf(draft).filters).toEqual({
      severities: ['critical'],
      deviceIds: ['dev_1', 'dev_2'],
      tags: ['web', 'db'],
    });
    expect(webhookFilters.safeParse(bodyOf(draft).filters).success).toBe(true);
  });

  it('reads a stored channel back into the same body (a host channel has url null)', () => {
    const stored = {
      name: 'Web hosts',
      kind: 'host' as const,
      url: null,
      filters: { siteIds: ['site_a'], deviceIds: ['dev_1'], tags: ['web', 'db'], ruleIds: ['r1'] },
      hosts: 'incident' as const,
      enabled: false,
    };
    const draft = draftOf(stored);
    expect(draft.url).toBe('');
    expect(draft.tags).toBe('web, db');
    expect(draft.hosts).toBe('incident');
    expect(bodyOf(draft)).toEqual({
      name: 'Web hosts',
      kind: 'host',
      filters: stored.filters,
      hosts: 'incident',
      enabled: false,
    });
  });

  it("starts a host channel's targets at the devices its filters cover, and reads a URL channel's null as that", () => {
    expect(emptyDraft().hosts).toBe('covered');
    expect(HOST_TARGET_CHOICES.map((c) => c.hosts)).toEqual(['covered', 'incident']);
    const url = {
      name: 'Pager',
      kind: 'slack' as const,
      url: 'https://hooks.example.com/x',
      filters: {},
      enabled: true,
    };
    expect(draftOf({ ...url, hosts: null }).hosts).toBe('covered');
  });

  it('sends the targets for a host channel only, on create and on update, in a shape the API takes', () => {
    for (const hosts of ['covered', 'incident'] as const) {
      const draft: WebhookDraft = { ...emptyDraft(), name: 'Terminals', kind: 'host', hosts, tags: 'web' };
      const body = bodyOf(draft);
      expect(body.hosts).toBe(hosts);
      expect(createWebhookBody.parse(body)).toMatchObject({ kind: 'host', hosts });
      const update = updateOf(draft);
      expect(update).toEqual({ name: 'Terminals', filters: { tags: ['web'] }, hosts, enabled: true });
      expect(updateWebhookBody.parse(update).hosts).toBe(hosts);
    }
    // A URL channel never sends them, even when the draft was a host one with 'incident' before the kind changed.
    const draft: WebhookDraft = {
      ...emptyDraft(),
      name: 'Pager',
      url: 'https://hooks.example.com/x',
      hosts: 'incident',
    };
    expect('hosts' in bodyOf(draft)).toBe(false);
    expect('hosts' in updateOf(draft)).toBe(false);
    expect(createWebhookBody.safeParse(bodyOf(draft)).success).toBe(true);
  });

  it('updates without the kind, which PATCH does not take', () => {
    const update = updateOf({ ...emptyDraft(), name: 'Pager', url: 'https://hooks.example.com/x', tags: 'web' });
    expect(update).toEqual({
      name: 'Pager',
      url: 'https://hooks.example.com/x',
      filters: { tags: ['web'] },
      enabled: true,
    });
    expect(updateWebhookBody.safeParse(update).success).toBe(true);
    const host = updateOf({ ...emptyDraft(), name: 'Terminals', kind: 'host', url: 'https://left.over' });
    expect(host).toEqual({ name: 'Terminals', filters: {}, hosts: 'covered', enabled: true });
    expect(updateWebhookBody.safeParse(host).success).toBe(true);
  });

  it('produces filters the API accepts for any lists typed', () => {
    const idText = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
    const listText = fc
      .array(fc.tuple(fc.constantFrom('', ' ', '  '), idText), { maxLength: 8 })
      .map((parts) => parts.map(([pad, id]) => `${pad}${id}${pad}`).join(','));
    fc.assert(
      fc.property(listText, listText, fc.array(idText, { maxLength: 8 }), (sites, tags, deviceIds) => {
        const body = bodyOf({ ...emptyDraft(), name: 'x', kind: 'host', siteIds: sites, tags, deviceIds });
        return webhookFilters.safeParse(body.filters).success && !('url' in body);
      }),
    );
  });

  it('offers every kind for a new channel and only its own for an existing one', () => {
    expect(kindChoices(null).map((k) => k.kind)).toEqual(['generic', 'slack', 'discord', 'host']);
    expect(kindChoices(null).find((k) => k.kind === 'host')?.label).toBe('Host notices (agents)');
    expect(kindChoices('host').map((k) => k.kind)).toEqual(['host']);
    expect(kindChoices('slack').map((k) => k.kind)).toEqual(['slack']);
  });

  it('offers the fleet by name in the device picker, and keeps a picked id the fleet no longer has', () => {
    const fleet = [device('dev_1', 'web-1'), device('dev_2', 'db-1')];
    expect(deviceChoices(fleet, ['dev_2', 'dev_gone'])).toEqual([
      ['dev_1', 'web-1'],
      ['dev_2', 'db-1'],
      ['dev_gone', 'dev_gone'],
    ]);
    expect(deviceChoices(null, [])).toEqual([]);
  });

  it('says what a channel sends in a few words, devices by name and tags', () => {
    const fleet = [device('dev_1', 'web-1')];
    expect(filtersText({}, null, null)).toBe('every incident');
    expect(
      filtersText(
        { severities: ['critical'], ruleIds: ['r1'], deviceIds: ['dev_1', 'dev_9'], tags: ['web', 'db'] },
        [rule('r1', 'Disk full')],
        fleet,
      ),
    ).toBe('critical; rules Disk full; devices web-1, dev_9; tagged web or db');
  });

  it("says where a host channel's notices go: the incident's own device, the devices its filters cover, or all", () => {
    const fleet = [device('dev_1', 'web-1')];
    expect(hostTargetText({ hosts: 'incident', filters: { tags: ['web'] } })).toBe(
      "The agent of the incident's own device",
    );
    expect(hostTargetText({ hosts: 'covered', filters: {} })).toBe('The agents of every device in the organisation');
    // Severities and rules choose incidents, not hosts.
    expect(hostTargetText({ hosts: 'covered', filters: { severities: ['critical'], ruleIds: ['r1'] } })).toBe(
      'The agents of every device in the organisation',
    );
    expect(
      hostTargetText(
        {
          hosts: 'covered',
          filters: { severities: ['warning'], deviceIds: ['dev_1', 'dev_9'], siteIds: ['site_a'], tags: ['web', 'db'] },
        },
        fleet,
      ),
    ).toBe('The agents of every device its filters cover (sites site_a; devices web-1, dev_9; tagged web or db)');
    // Devices by id until the fleet is loaded.
    expect(hostTargetText({ hosts: 'covered', filters: { deviceIds: ['dev_1'] } })).toBe(
      'The agents of every device its filters cover (devices dev_1)',
    );
  });

  it('splits comma-separated text, dropping blanks and repeats', () => {
    expect(splitList(' a, b,,a , ')).toEqual(['a', 'b']);
    expect(splitList('')).toEqual([]);
  });
});
