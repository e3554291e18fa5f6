import { z } from 'zod';
import { deliveryStates, hostTargets, webhookKinds } from '../../../../schema/tables/alerts.ts';
import { webhookFilters } from '../../../../schema/wire/alerts.ts';
import { cursorParam, pageLimit } from '../http/query-schemas.ts';
import { nonBlank } from '../../../../schema/wire/text.ts';

/** What the `/v1/webhooks` routes accept: bodies and the delivery log's query. */

const name = nonBlank('name is required, e.g. "On-call Slack"').max(100);
const url = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'a generic, slack or discord channel needs a url, e.g. https://hooks.example.com/edgewatch'
        : undefined,
  })
  .max(2000)
  .regex(/^https?:\/\/\S+$/i, 'a webhook URL starts with https://, e.g. https://hooks.example.com/edgewatch')
  .describe(
    'https (http only for targets ALLOW_PRIVATE_WEBHOOKS allows). Refused (400 `url_not_allowed`) when the host is, or resolves to, a loopback, private, link-local or other non-public address: the SSRF guard, applied again before every attempt.',
  );

const common = { name, filters: webhookFilters.default({}), enabled: z.boolean().default(true) };

const hostsText =
  "A host channel's targets: `covered`, every device its filters' devices, sites and tags cover (the whole org without them), so the operators of a group of machines see each other's incidents; `incident`, only the incident's own device";
const hosts = z.enum(hostTargets).describe(hostsText);

/** By `kind`: a URL channel (the default, `generic`) needs its `url`; a `host` channel has none. */
export const createWebhookBody = z.discriminatedUnion('kind', [
  z.strictObject({
    ...common,
    kind: z
      .enum(webhookKinds.filter((k) => k !== 'host') as ['generic', 'slack', 'discord'])
      .default('generic')
      .describe('Body format: Standard Webhooks JSON, Slack or Discord'),
    url,
  }),
  z.strictObject({
    ...common,
    kind: z
      .literal('host')
      .describe("Notices to the targeted devices' agents over their config channel: no URL, no secret"),
    hosts: hosts.default('covered'),
  }),
]);
export const updateWebhookBody = z.strictObject({
  name: name.optional(),
  url: url.optional(),
  filters: webhookFilters.optional(),
  hosts: hosts.optional().describe(`${hostsText}. Only for a host channel (400 otherwise)`),
  enabled: z.boolean().optional().describe('`true` also clears `disabledReason`'),
});
export const rotateSecretBody = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400)
    .describe('How long the previous secret keeps signing beside the new one; 0 ends it now'),
});
export const deliveriesQuery = z.strictObject({
  state: z.enum(deliveryStates).optional(),
  cursor: cursorParam.optional(),
  limit: pageLimit(50, 200),
});
