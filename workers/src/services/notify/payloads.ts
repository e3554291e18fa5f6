import type { AlertTransition, IncidentView } from '../../../../schema/wire/alerts.ts';
import type { WebhookKind } from '../../../../schema/tables/alerts.ts';

/** Kinds whose notifications are POSTed to a URL (a `host` channel's go to agents, see host-notices.ts). */
export type UrlChannelKind = Exclude<WebhookKind, 'host'>;

/**
 * Notification bodies per channel kind. `generic` is the Standard Webhooks shape
 * `{ type, timestamp, data }`; `slack` is `{ text, blocks }` for an incoming webhook; `discord`
 * is `{ content, embeds }` with mentions switched off. Names come from users (rule and device
 * names), so they are escaped for Slack's mrkdwn and can never ping anyone on Discord.
 */

export interface AlertEvent {
  type: string;
  transition: AlertTransition;
  repeat: boolean;
  at: number;
  incident: IncidentView;
  device: { id: string; name: string | null };
  /** The incident in the dashboard, when PUBLIC_URL is set. */
  url: string | null;
}

export interface TestEvent {
  webhook: { id: string; name: string };
  at: number;
}

const COLORS = { critical: 0xd73a49, warning: 0xdbab09, resolved: 0x2da44e, info: 0x0969da } as const;

const TITLES: Record<AlertTransition, string> = {
  firing: 'Firing',
  escalated: 'Escalated',
  deescalated: 'De-escalated',
  resolved: 'Resolved',
  acknowledged: 'Acknowledged',
  unacknowledged: 'Unacknowledged',
};

/** The event type of a transition, e.g. `alert.firing`. */
export const alertEventType = (t: AlertTransition) => `alert.${t}`;

const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One line naming the transition, severity, rule and device; also a host notice's title. */
export function headline(e: AlertEvent): string {
  const status = `${TITLES[e.transition]}${e.repeat ? ' (repeat)' : ''}`;
  const severity = e.incident.severity.toUpperCase();
  return `[${status} · ${severity}] ${e.incident.ruleName} on ${e.device.name ?? e.device.id}`;
}

/** The incident's summary with its value and threshold; also a host notice's summary. */
export function detail(e: AlertEvent): string {
  const { value, threshold } = e.incident;
  const reading = value === null ? '' : ` (value ${value}${threshold === null ? '' : `, threshold ${threshold}`})`;
  return `${e.incident.summary}${reading}`;
}

/** The body a channel of `kind` receives for an incident transition. */
export function alertBody(kind: UrlChannelKind, e: AlertEvent): unknown {
  const timestamp = new Date(e.at).toISOString();
  if (kind === 'generic') {
    return {
      type: e.type,
      timestamp,
      data: { incident: e.incident, device: e.device, transition: e.transition, repeat: e.repeat, url: e.url },
    };
  }
  const color = e.transition === 'resolved' ? COLORS.resolved : COLORS[e.incident.severity];
  if (kind === 'slack') {
    const title = slackEscape(headline(e));
    const linked = e.url ? `<${e.url}|${title}>` : title;
    return {
      text: headline(e),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${linked}*\n${slackEscape(detail(e))}` } },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: slackEscape(`Incident ${e.incident.id} · ${e.type} · ${timestamp}`) }],
        },
      ],
      attachments: [{ color: `#${color.toString(16).padStart(6, '0')}`, fallback: headline(e) }],
    };
  }
  return {
    content: headline(e).slice(0, 2000),
    embeds: [
      {
        title: headline(e).slice(0, 256),
        description: detail(e).slice(0, 4096),
        ...(e.url ? { url: e.url } : {}),
        color,
        timestamp,
        fields: [
          { name: 'Severity', value: e.incident.severity, inline: true },
          { name: 'State', value: e.incident.state, inline: true },
          { name: 'Device', value: (e.device.name ?? e.device.id).slice(0, 1024), inline: true },
        ],
        footer: { text: `Incident ${e.incident.id}` },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

/** The body of a `webhook.test` event for a channel of `kind`. */
export function testBody(kind: UrlChannelKind, e: TestEvent): unknown {
  const text = `Test notification from Edgewatch for channel "${e.webhook.name}"`;
  const timestamp = new Date(e.at).toISOString();
  if (kind === 'generic') {
    return { type: 'webhook.test', timestamp, data: { webhook: e.webhook, message: text } };
  }
  if (kind === 'slack') {
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: slackEscape(text) } }] };
  }
  return {
    content: text.slice(0, 2000),
    embeds: [{ title: 'Edgewatch test', description: text.slice(0, 4096), color: COLORS.info, timestamp }],
    allowed_mentions: { parse: [] },
  };
}
