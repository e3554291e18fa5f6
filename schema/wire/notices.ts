// zod/mini, so the agent bundle stays small; the Worker builds notices of this shape.
import * as z from 'zod/mini';

/**
 * Host notices: incident transitions that a notification channel of kind `host` sends to the
 * devices it targets (their agents), over their config channel (beside `config` in the answer of
 * `GET /v1/agents/config` and in the MQTT config message). The agent logs each one once, and
 * shows it on logged-in terminals (`wall`) and in the journal when its config says so.
 * Written up in docs/alerts.md ("Host notices") and docs/agent.md ("Notices on the host").
 */

export const NOTICE_TRANSITIONS = [
  'firing',
  'escalated',
  'deescalated',
  'resolved',
  'acknowledged',
  'unacknowledged',
] as const;

/**
 * One notice. Deliberately not strict: a later platform may add fields, and an agent that does
 * not know them must still show the notice.
 */
export const hostNotice = z.object({
  /** Increasing over the platform: the agent keeps the highest it delivered, so none repeats. */
  id: z.int().check(z.gte(1)),
  /** When the transition happened, epoch ms. */
  at: z.int(),
  transition: z.enum(NOTICE_TRANSITIONS),
  severity: z.enum(['warning', 'critical']),
  incidentId: z.string(),
  ruleName: z.string(),
  device: z.object({ id: z.string(), name: z.nullable(z.string()) }),
  /** The incident's summary with its value and threshold, e.g. "disk_used_percent is 93.2 (> 90)". */
  summary: z.string(),
  /** One line for a terminal: `[Firing · CRITICAL] Disk almost full on web-1`. */
  title: z.string(),
  /** The incident in the dashboard, when the platform knows its public URL. */
  url: z.nullable(z.string()),
});
export type HostNotice = z.infer<typeof hostNotice>;

/** At most this many notices, the newest, ride along with a config (oldest first). */
export const MAX_NOTICES_SENT = 20;

export const hostNotices = z.array(hostNotice).check(z.maxLength(MAX_NOTICES_SENT));

/** How the agent shows notices besides its log; an admin sets it in the agent config (`notices`). */
export const noticeOutputs = z.strictObject({
  /** Write each notice to logged-in terminals with `wall`, when the host has it. */
  wall: z.boolean(),
  /** Write each notice to the system journal (`systemd-cat`), when the host has it. */
  journal: z.boolean(),
});
export type NoticeOutputs = z.infer<typeof noticeOutputs>;

export const DEFAULT_NOTICE_OUTPUTS: NoticeOutputs = { wall: false, journal: false };
