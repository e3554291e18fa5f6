import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertRuleBody, type AlertRuleBody } from '../../schema/wire/alerts.ts';
import { formatDuration, parseDuration } from '../../workers/dashboard/src/pages/alerts/durations.ts';
import {
  bodyFromDraft,
  draftFromRule,
  emptyDraft,
  inputPaths,
  previewable,
} from '../../workers/dashboard/src/pages/alerts/rule-draft.ts';
import {
  matchersFromSearch,
  silenceBody,
  silenceLink,
} from '../../workers/dashboard/src/pages/alerts/silence-draft.ts';

describe('durations in the alert forms', () => {
  it('reads what people type', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration(' 1h 30m ')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses what is not a duration, including a bare number whose unit is a guess', () => {
    for (const text of ['', '5', 'm', '5x', '-5m', '5m ago', '1h-30m']) expect(parseDuration(text)).toBeNull();
  });

  it('writes ms back exactly, so a saved rule reads as it was typed', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
    fc.assert(fc.property(fc.nat(40 * 86_400_000), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});

const RULE: AlertRuleBody = {
  name: 'Disk almost full',
  description: 'Root filesystem',
  enabled: true,
  scope: { kind: 'tag', value: 'prod' },
  metric: 'disk_used_percent',
  matchers: [{ label: 'mount', op: '=~', value: '/var.*' }],
  condition: {
    kind: 'threshold',
    op: '>',
    warning: { value: 85, clear: 80 },
    critical: { value: 95 },
    aggregation: { fn: 'mean', windowMs: 300_000 },
  },
  forMs: 120_000,
  keepFiringForMs: 60_000,
  repeatIntervalMs: 3_600_000,
};

describe('the rule editor draft', () => {
  it('turns a saved rule into the form and back into the same body, which the API schema accepts', () => {
    const built = bodyFromDraft(draftFromRule(RULE));
    expect(built).toEqual({ body: RULE });
    expect(alertRuleBody.parse((built as { body: AlertRuleBody }).body)).toEqual(RULE);
  });

  it('sends an offline rule without metric or matchers, and no_data with its absence time', () => {
    const offline = bodyFromDraft({ ...draftFromRule(RULE), kind: 'offline', after: '' });
    expect(offline).toMatchObject({ body: { condition: { kind: 'offline' }, matchers: [] } });
    expect((offline as { body: AlertRuleBody }).body.metric).toBeUndefined();
    const noData = bodyFromDraft({ ...draftFromRule(RULE), kind: 'no_data', after: '10m' });
    expect(noData).toMatchObject({ body: { condition: { kind: 'no_data', afterMs: 600_000 } } });
    for (const b of [offline, noData]) expect(() => alertRuleBody.parse((b as { body: unknown }).body)).not.toThrow();
  });

  it('names the field it cannot read, with the path the API would use', () => {
    const d = draftFromRule(RULE);
    expect(bodyFromDraft({ ...d, forDuration: 'soon' })).toMatchObject({ error: { field: 'forMs' } });
    expect(bodyFromDraft({ ...d, critical: { value: '95', clear: 'x' } })).toMatchObject({
      error: { field: 'condition.critical.clear' },
    });
    expect(bodyFromDraft({ ...d, aggWindow: '5' })).toMatchObject({
      error: { field: 'condition.aggregation.windowMs' },
    });
    // A clear on the wrong side is the API's to judge: the draft sends it.
    expect(bodyFromDraft({ ...d, critical: { value: '95', clear: '99' } })).toMatchObject({
      body: { condition: { critical: { value: 95, clear: 99 } } },
    });
  });

  it('previews only a draft complete enough to say something, and shows errors where it has inputs', () => {
    expect(previewable(emptyDraft())).toBe(false);
    expect(previewable({ ...emptyDraft(), name: 'x', metric: 'cpu', critical: { value: '90', clear: '' } })).toBe(true);
    expect(previewable({ ...emptyDraft(), name: 'x', kind: 'offline' })).toBe(true);
    expect(previewable({ ...emptyDraft(), name: 'x', scopeKind: 'device', kind: 'offline' })).toBe(false);
    const paths = inputPaths(draftFromRule(RULE));
    expect(paths).toContain('condition.critical.clear');
    expect(paths).toContain('matchers.0.value');
    expect(paths).toContain('condition.aggregation.windowMs');
    expect(paths).not.toContain('condition.afterMs');
  });
});

describe('"silence similar" links and the silence form', () => {
  it('carries matchers in the URL and reads them back, dropping what is not one', () => {
    const matchers = [
      { field: 'rule' as const, value: 'alr_1' },
      { field: 'tag' as const, value: 'a:b & c' },
    ];
    const link = silenceLink(matchers);
    expect(link.startsWith('/silences?')).toBe(true);
    expect(matchersFromSearch(link.slice(link.indexOf('?')))).toEqual(matchers);
    expect(matchersFromSearch('?match=colour:red&match=device:&match=nothing&match=device:dev_1')).toEqual([
      { field: 'device', value: 'dev_1' },
    ]);
  });

  it('ends a silence its duration after its start, now by default', () => {
    const now = 1_800_000_000_000;
    expect(silenceBody({ matchers: [], startsAt: '', duration: '2h', comment: ' why ' }, now)).toEqual({
      body: { matchers: [], endsAt: now + 7_200_000, comment: 'why' },
    });
    expect(silenceBody({ matchers: [], startsAt: '', duration: 'later', comment: '' }, now)).toMatchObject({
      error: { field: 'endsAt' },
    });
  });
});
