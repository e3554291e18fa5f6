/** One audit row as `GET /v1/audit` answers it (the Worker writes it, the dashboard shows it). */
export interface AuditEntryView {
  id: string;
  ts: number;
  actor: { type: 'user' | 'api_key'; id: string; role: string | null; scopes: string[] | null };
  /** The operation id, e.g. `updateDevice`. */
  action: string;
  target: { type: string; id: string | null };
  outcome: string;
  clientAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: { before?: Record<string, unknown>; after?: Record<string, unknown> } | null;
}
