import type { SilenceMatcher } from '../../../../../schema/wire/alerts.ts';
import type { FormError } from '../device/field-error.ts';
import type { SilenceBody } from './api.ts';
import { DURATION_HINT, parseDuration } from './durations.ts';

export const SILENCE_FIELDS: readonly SilenceMatcher['field'][] = ['rule', 'device', 'site', 'tag', 'severity'];

/**
 * The silences page with its form filled in with `matchers` (`?match=rule:<id>&match=device:<id>`),
 * so "silence similar" on an incident is a link that can also be shared.
 */
export function silenceLink(matchers: readonly SilenceMatcher[]): string {
  const q = new URLSearchParams();
  for (const m of matchers) q.append('match', `${m.field}:${m.value}`);
  return `/silences?${q}`;
}

/** The matchers of a {@link silenceLink}; entries that are not `field:value` are dropped. */
export function matchersFromSearch(search: string): SilenceMatcher[] {
  const out: SilenceMatcher[] = [];
  for (const raw of new URLSearchParams(search).getAll('match')) {
    const at = raw.indexOf(':');
    const field = raw.slice(0, at) as SilenceMatcher['field'];
    if (at > 0 && SILENCE_FIELDS.includes(field) && raw.length > at + 1) out.push({ field, value: raw.slice(at + 1) });
  }
  return out;
}

/** The silence form as typed: when it starts ('' for now) and how long it lasts ("2h"). */
export interface SilenceDraft {
  matchers: SilenceMatcher[];
  /** `datetime-local` text, '' for now. */
  startsAt: string;
  duration: string;
  comment: string;
}

/** The API body for a draft, or the field the browser could not read. `endsAt` errors land on `duration`. */
export function silenceBody(d: SilenceDraft, now = Date.now()): { body: SilenceBody } | { error: FormError } {
  let startsAt: number | undefined;
  if (d.startsAt.trim()) {
    startsAt = new Date(d.startsAt).getTime();
    if (Number.isNaN(startsAt))
      return { error: { field: 'startsAt', message: 'pick a start time, or leave it empty for now' } };
  }
  const ms = parseDuration(d.duration);
  if (ms === null || ms <= 0)
    return { error: { field: 'endsAt', message: `"${d.duration}" is not a duration: ${DURATION_HINT}` } };
  return {
    body: {
      matchers: d.matchers.map((m) => ({ field: m.field, value: m.value.trim() })),
      ...(startsAt === undefined ? {} : { startsAt }),
      endsAt: (startsAt ?? now) + ms,
      comment: d.comment.trim(),
    },
  };
}
