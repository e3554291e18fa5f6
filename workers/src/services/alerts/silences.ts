import type { SilenceMatcher } from '../../../../schema/wire/alerts.ts';

/** What a silence is matched against: an incident's rule, device, site, tags and severity. */
export interface SilenceTarget {
  ruleId: string | null;
  deviceId: string;
  siteId: string | null;
  tags: readonly string[];
  severity: string;
}

export interface SilenceWindow {
  matchers: readonly SilenceMatcher[];
  startsAt: number;
  endsAt: number;
}

/** Whether one matcher holds: a tag matcher holds when the incident carries that tag. */
function matcherHolds(m: SilenceMatcher, t: SilenceTarget): boolean {
  switch (m.field) {
    case 'rule':
      return t.ruleId === m.value;
    case 'device':
      return t.deviceId === m.value;
    case 'site':
      return t.siteId === m.value;
    case 'tag':
      return t.tags.includes(m.value);
    case 'severity':
      return t.severity === m.value;
  }
}

/** Whether a silence covers the target at `now`: inside its window and every matcher holds. */
export const silenceCovers = (s: SilenceWindow, t: SilenceTarget, now: number): boolean =>
  s.startsAt <= now && now < s.endsAt && s.matchers.every((m) => matcherHolds(m, t));

/** Whether any of `silences` covers the target at `now`. */
export const isSilenced = (silences: readonly SilenceWindow[], t: SilenceTarget, now: number): boolean =>
  silences.some((s) => silenceCovers(s, t, now));
