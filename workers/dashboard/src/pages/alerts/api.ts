import type {
  AlertRuleBody,
  AlertRuleView,
  AlertSeverity,
  IncidentState,
  IncidentView,
  SilenceMatcher,
  SilenceView,
} from '../../../../../schema/wire/alerts.ts';
import { call, callAll } from '../../api.ts';

/** One state change a rule would have made over past data (`POST /v1/alert-rules/preview`). */
export interface PreviewTransition {
  deviceId?: string;
  seriesId: string;
  metric?: string | null;
  labels: Record<string, string>;
  /** pending, firing, escalated, deescalated, resolved. */
  transition?: string;
  /** normal, pending, firing. */
  from: string;
  to: string;
  at: number;
  severity: AlertSeverity | null;
  value: number | null;
  threshold?: number | null;
  /** A pending episode that cleared before `for` ran out. */
  neverFired?: boolean;
}

/** What the preview answers: the window it evaluated, what it covered and the transitions. */
export interface PreviewAnswer {
  from: number;
  to: number;
  devices?: number;
  series?: number;
  samples?: number;
  /** Some history or some devices were left out. */
  truncated?: boolean;
  counts?: { incidents: number; firing: number };
  transitions: PreviewTransition[];
}

export interface PreviewRequest {
  rule: AlertRuleBody;
  deviceId?: string;
  hours: number;
}

export type { SilenceView };
export type SilenceState = SilenceView['state'];

export interface SilenceBody {
  matchers: SilenceMatcher[];
  startsAt?: number;
  endsAt: number;
  comment: string;
}

/** The filters of `GET /v1/incidents`, as the incidents page keeps them in its URL. */
export interface IncidentFilters {
  /** Absent: open incidents (pending and firing), as the API defaults. */
  state?: IncidentState | 'all';
  severity?: AlertSeverity;
  deviceId?: string;
  ruleId?: string;
  siteId?: string;
  acknowledged?: 'true' | 'false';
}

export const INCIDENT_FILTER_KEYS = ['state', 'severity', 'deviceId', 'ruleId', 'siteId', 'acknowledged'] as const;

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

const enc = encodeURIComponent;

/** The alert pages' calls to the public API; errors are `ApiError` (see ../../api.ts). */
export const alertsApi = {
  rules: (signal?: AbortSignal) =>
    call<{ rules: AlertRuleView[] }>('GET', '/v1/alert-rules', undefined, signal).then((r) => r.rules),
  rule: (id: string, signal?: AbortSignal) =>
    call<AlertRuleView>('GET', `/v1/alert-rules/${enc(id)}`, undefined, signal),
  createRule: (body: AlertRuleBody) => call<AlertRuleView>('POST', '/v1/alert-rules', body),
  /** The whole rule replaces the stored one: what it leaves out (description, metric) is cleared. */
  updateRule: (id: string, body: AlertRuleBody) =>
    call<AlertRuleView>('PATCH', `/v1/alert-rules/${enc(id)}`, {
      ...body,
      description: body.description ?? null,
      metric: body.metric ?? null,
    }),
  deleteRule: (id: string) => call<null>('DELETE', `/v1/alert-rules/${enc(id)}`),
  preview: (req: PreviewRequest, signal?: AbortSignal) =>
    call<PreviewAnswer>(
      'POST',
      '/v1/alert-rules/preview',
      { ...req.rule, hours: req.hours, ...(req.deviceId ? { deviceId: req.deviceId } : {}) },
      signal,
    ),

  incidents: (filters: IncidentFilters, cursor: string | null, signal?: AbortSignal, limit = 50) => {
    const q = new URLSearchParams();
    for (const key of INCIDENT_FILTER_KEYS) if (filters[key]) q.set(key, filters[key]);
    q.set('limit', String(limit));
    if (cursor) q.set('cursor', cursor);
    return call<{ incidents: IncidentView[]; nextCursor: string | null }>(
      'GET',
      `/v1/incidents?${q}`,
      undefined,
      signal,
    ).then((r): CursorPage<IncidentView> => ({ items: r.incidents, nextCursor: r.nextCursor }));
  },
  incident: (id: string, signal?: AbortSignal) =>
    call<IncidentView>('GET', `/v1/incidents/${enc(id)}`, undefined, signal),
  ack: (id: string, note: string) =>
    call<IncidentView>('POST', `/v1/incidents/${enc(id)}/ack`, note.trim() ? { note: note.trim() } : {}),
  unack: (id: string) => call<IncidentView>('POST', `/v1/incidents/${enc(id)}/unack`),

  silences: (state: SilenceState | 'all', signal?: AbortSignal) =>
    callAll<SilenceView>(`/v1/silences?state=${state}&limit=500`, 'silences', signal),
  createSilence: (body: SilenceBody) => call<SilenceView>('POST', '/v1/silences', body),
  endSilence: (id: string) => call<SilenceView>('DELETE', `/v1/silences/${enc(id)}`),
};

/** Reads the incident filters from a query string (unknown values are dropped). */
export function incidentFiltersFrom(search: string): IncidentFilters {
  const q = new URLSearchParams(search);
  const out: Record<string, string> = {};
  for (const key of INCIDENT_FILTER_KEYS) {
    const v = q.get(key);
    if (v) out[key] = v;
  }
  return out as IncidentFilters;
}

/** The query string of `filters`, so a filtered view is a deep link. */
export function incidentSearch(filters: IncidentFilters): string {
  const q = new URLSearchParams();
  for (const key of INCIDENT_FILTER_KEYS) if (filters[key]) q.set(key, filters[key]);
  const s = q.toString();
  return s ? `?${s}` : '';
}
