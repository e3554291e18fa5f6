import { describe, expect, it } from 'vitest';
import { compilePattern, matches, validatePattern } from '../../workers/src/services/streams/subject-match.ts';

const S = 'org.org_a.site.site_1.device.dev_1.metric.cpu_usage_percent';

describe('matches(pattern, subject)', () => {
  it.each([
    [S, S, true],
    ['org.org_a.**', S, true],
    ['org.org_a.site.*.device.*.metric.cpu_usage_percent', S, true],
    ['org.org_a.site.site_1.**', S, true],
    ['org.org_a.*.*.device.dev_1.**', S, true],
    ['org.org_a.site.*.device.*.metric.*', S, true],
    ['org.org_a.site.*.device.*.metric.mem_used_bytes', S, false],
    ['org.org_a.site.site_2.**', S, false],
    ['org.org_b.**', S, false],
    // `*` is exactly one level, never zero or two.
    ['org.org_a.site.*.metric.cpu_usage_percent', S, false],
    ['org.org_a.site.*.device.*.metric.*.*', S, false],
    // `**` needs at least one level after the prefix.
    [`${S}.**`, S, false],
    [`${S}.**`, `${S}.p95`, true],
    ['org.org_a.site._.**', 'org.org_a.site._.device.dev_1.metric.load1', true],
    // Levels compare whole: a prefix of a level does not match.
    ['org.org_a.site.site.**', S, false],
    ['org.org_a.**', 'org.org_a..device', false],
    // Empty levels in a subject never match, wherever they are.
    ['org.org_a.**', 'org.org_a.site.', false],
    ['org.org_a.*', 'org.org_a.', false],
    // `**` takes any number of levels, and very long subjects are matched whole.
    ['org.org_a.**', `org.org_a.${Array(200).fill('x').join('.')}`, true],
    ['org.org_a.*.y', `org.org_a.${'x'.repeat(10_000)}.y`, true],
    ['org.org_a.*.y', `org.org_a.${'x'.repeat(10_000)}.z`, false],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(matches(pattern, subject)).toBe(expected);
    expect(matches(compilePattern(pattern), subject)).toBe(expected);
  });
});

describe('validatePattern(pattern, orgId)', () => {
  it.each([
    ['org.org_a.**'],
    ['org.org_a.site.*.device.*.metric.cpu_usage_percent'],
    ['org.org_a.site._.device.dev_1.metric.load1'],
    ['org.org_a.*'],
  ])('accepts %s', (pattern) => {
    const check = validatePattern(pattern, 'org_a');
    expect(check.ok).toBe(true);
  });

  it.each([
    ['', 'invalid_subject', /non-empty/],
    ['org.org_a.**.metric.cpu', 'invalid_subject', /only be the last level/],
    ['org.**.metric', 'invalid_subject', /only be the last level/],
    ['org.org_a..device', 'invalid_subject', /empty level at position 3/],
    ['.org.org_a.**', 'invalid_subject', /empty level at position 1/],
    ['org.org_a.', 'invalid_subject', /empty level at position 3/],
    ['org.org_a.cpu*', 'invalid_subject', /whole level/],
    ['org.org_a.>', 'invalid_subject', /use "\*\*"/],
    ['org.org_a.site/1', 'invalid_subject', /may only contain/],
    ['org.org_a.' + 'x'.repeat(600), 'invalid_subject', /at most 512 characters/],
    ['org.org_a.' + Array(20).fill('a').join('.'), 'invalid_subject', /at most 16 levels/],
    ['org.org_a', 'invalid_subject', /org\.org_a\.\*\*/],
    ['org.org_b.**', 'forbidden_subject', /must start with "org\.org_a\."/],
    ['org.*.**', 'forbidden_subject', /must start with/],
    ['**', 'forbidden_subject', /must start with/],
    ['site.*.**', 'forbidden_subject', /must start with/],
  ])('refuses %j with %s', (pattern, code, message) => {
    const check = validatePattern(pattern, 'org_a');
    expect(check).toMatchObject({ ok: false, code });
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it('refuses a value that is not a string', () => {
    expect(validatePattern(42, 'org_a')).toMatchObject({ ok: false, code: 'invalid_subject' });
  });

  it('checks syntax only when no org is given', () => {
    expect(validatePattern('org.org_b.**').ok).toBe(true);
    expect(() => compilePattern('a.**.b')).toThrow(/last level/);
  });
});
