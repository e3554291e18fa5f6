import type { AlertRuleView, AlertSeverity, WebhookFilters } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import {
  WEBHOOK_KINDS,
  type HostTargets,
  type WebhookBody,
  type WebhookKind,
  type WebhookUpdate,
  type WebhookView,
} from './api.ts';

/** The channel form as edited: the lists typed as text stay text until they are sent. */
export interface WebhookDraft {
  name: string;
  kind: WebhookKind;
  /** Kept while the kind is `host`, so switching back does not lose it; never sent for `host`. */
  url: string;
  severities: AlertSeverity[];
  ruleIds: string[];
  deviceIds: string[];
  /** Comma-separated, as typed. */
  siteIds: string;
  /** Comma-separated, as typed. */
  tags: string;
  /** Which agents a `host` channel's notices go to; kept for the URL kinds, never sent for them. */
  hosts: HostTargets;
  enabled: boolean;
}

/** The choices of a `host` channel's targets, in the form's words. */
export const HOST_TARGET_CHOICES: readonly { hosts: HostTargets; label: string }[] = [
  { hosts: 'covered', label: 'Every device the filters cover' },
  { hosts: 'incident', label: "Only the incident's own device" },
];

/** An item's name from a list by id; the id itself when the list lacks it (or is not loaded). */
const nameOf = <T extends { id: string; name: string }>(list: readonly T[] | null, id: string) =>
  list?.find((x) => x.id === id)?.name ?? id;

/** The filters that choose devices (sites, devices, tags), in a few words each; devices by name when known. */
const deviceParts = (f: WebhookFilters, devices: readonly DeviceView[] | null): string[] =>
  [
    f.siteIds ? `sites ${f.siteIds.join(', ')}` : '',
    f.deviceIds ? `devices ${f.deviceIds.map((id) => nameOf(devices, id)).join(', ')}` : '',
    f.tags ? `tagged ${f.tags.join(' or ')}` : '',
  ].filter(Boolean);

/**
 * Where a `host` channel's notices go, in the words the list and the channel page use: the
 * incident's own device, or every device its device, site and tag filters cover (each given one
 * must hold, as for incidents; none of them, the whole organisation). Devices by name when known.
 */
export function hostTargetText(
  w: Pick<WebhookView, 'hosts' | 'filters'>,
  devices: readonly DeviceView[] | null = null,
): string {
  if (w.hosts === 'incident') return "The agent of the incident's own device";
  const parts = deviceParts(w.filters, devices);
  return parts.length
    ? `The agents of every device its filters cover (${parts.join('; ')})`
    : 'The agents of every device in the organisation';
}

export const isHostKind = (kind: WebhookKind): boolean => kind === 'host';

/** Comma-separated text as a list: trimmed, empty entries and repeats left out. */
export const splitList = (text: string): string[] => [
  ...new Set(
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

/** The draft a new channel starts from. */
export const emptyDraft = (): WebhookDraft => ({
  name: '',
  kind: 'generic',
  url: '',
  severities: [],
  ruleIds: [],
  deviceIds: [],
  siteIds: '',
  tags: '',
  hosts: 'covered',
  enabled: true,
});

/** A stored channel as a draft to edit. */
export function draftOf(w: Pick<WebhookView, 'name' | 'kind' | 'url' | 'filters' | 'hosts' | 'enabled'>): WebhookDraft {
  const f = w.filters;
  return {
    name: w.name,
    kind: w.kind,
    url: w.url ?? '',
    severities: f.severities ?? [],
    ruleIds: f.ruleIds ?? [],
    deviceIds: f.deviceIds ?? [],
    siteIds: (f.siteIds ?? []).join(', '),
    tags: (f.tags ?? []).join(', '),
    hosts: w.hosts ?? 'covered',
    enabled: w.enabled,
  };
}

/**
 * The body create and update send. An empty filter is left out (the API reads that as "all");
 * `url` is sent only for the URL kinds (a `host` channel must not have one), and `hosts` only
 * for `host` (the API refuses it for the others).
 */
export function bodyOf(d: WebhookDraft): WebhookBody {
  const lists: WebhookFilters = {
    severities: d.severities,
    ruleIds: d.ruleIds,
    siteIds: splitList(d.siteIds),
    deviceIds: [...new Set(d.deviceIds)],
    tags: splitList(d.tags),
  };
  const filters = Object.fromEntries(Object.entries(lists).filter(([, list]) => list.length > 0)) as WebhookFilters;
  const body: WebhookBody = { name: d.name.trim(), kind: d.kind, filters, enabled: d.enabled };
  if (isHostKind(d.kind)) body.hosts = d.hosts;
  else body.url = d.url.trim();
  return body;
}

/** The body of an update: the kind is fixed when a channel is made (`PATCH` does not take it). */
export function updateOf(d: WebhookDraft): WebhookUpdate {
  const { kind: _kind, ...rest } = bodyOf(d);
  return rest;
}

/** The kinds the form offers: any for a new channel, only its own for an existing one. */
export function kindChoices(existing: WebhookKind | null): typeof WEBHOOK_KINDS {
  return existing === null ? WEBHOOK_KINDS : WEBHOOK_KINDS.filter((k) => k.kind === existing);
}

/** The devices a picker offers: the fleet by name, then any picked id the fleet lacks (a deleted device). */
export function deviceChoices(devices: readonly DeviceView[] | null, picked: readonly string[]): [string, string][] {
  const known: [string, string][] = (devices ?? []).map((d) => [d.id, d.name]);
  const ids = new Set(known.map(([id]) => id));
  return [...known, ...picked.filter((id) => !ids.has(id)).map((id): [string, string] => [id, id])];
}

/** What a channel's filters let through, in a few words. */
export function filtersText(
  f: WebhookFilters,
  rules: readonly AlertRuleView[] | null,
  devices: readonly DeviceView[] | null,
): string {
  const parts = [
    f.severities ? f.severities.join(' or ') : '',
    f.ruleIds ? `rules ${f.ruleIds.map((id) => nameOf(rules, id)).join(', ')}` : '',
    ...deviceParts(f, devices),
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'every incident';
}
