import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { LocalPlatform } from './local-platform.ts';
import { adminCall, ingest } from './seed-fleet.ts';
import { until } from './wait.ts';

/** Text a seeded alert carries, so the escaping test can make it hostile. */
export interface AlertTexts {
  ruleName: string;
  /** The value of the `queue` label of the series that fires. */
  label: string;
  note: string;
  comment: string;
  webhookName: string;
}

export interface SeededAlerts {
  ruleId: string;
  incidentId: string;
  silenceId: string;
  webhookId: string;
}

export const PLAIN_TEXTS: AlertTexts = {
  ruleName: 'Queue backed up',
  label: 'orders',
  note: 'Draining it now',
  comment: 'Maintenance window',
  webhookName: 'Local receiver',
};

/**
 * One of each alert object, through the public API as an integrator would make them: a rule
 * on `host` (queue depth above 1), the incident a sample of 3 opens, acknowledged with a note,
 * a silence of the host and a webhook channel to `receiverUrl` (a loopback URL, which the local
 * platform allows).
 */
export async function seedAlerts(
  platform: LocalPlatform,
  host: EnrollResponse,
  receiverUrl: string,
  texts: AlertTexts = PLAIN_TEXTS,
): Promise<SeededAlerts> {
  const rule = await adminCall<{ id: string }>(platform, 'POST', '/v1/alert-rules', {
    name: texts.ruleName,
    description: texts.note,
    scope: { kind: 'device', value: host.deviceId },
    metric: 'custom_queue_depth',
    matchers: [{ label: 'queue', op: '=', value: texts.label }],
    condition: { kind: 'threshold', op: '>', warning: { value: 1 }, critical: { value: 10, clear: 5 } },
  });
  await ingest(platform, host.deviceToken, `alerts-${rule.id}`, [
    { metric: 'custom_queue_depth', ts: Date.now(), value: 3, labels: { queue: texts.label } },
  ]);
  const incidentId = await until(
    'the incident of the seeded rule',
    async () => {
      const page = await adminCall<{ incidents: { id: string }[] }>(
        platform,
        'GET',
        `/v1/incidents?ruleId=${rule.id}&state=all`,
      );
      return page.incidents[0]?.id;
    },
    30_000,
  );
  await adminCall(platform, 'POST', `/v1/incidents/${incidentId}/ack`, { note: texts.note });
  const silence = await adminCall<{ id: string }>(platform, 'POST', '/v1/silences', {
    matchers: [{ field: 'device', value: host.deviceId }],
    endsAt: Date.now() + 3_600_000,
    comment: texts.comment,
  });
  const webhook = await adminCall<{ id: string }>(platform, 'POST', '/v1/webhooks', {
    name: texts.webhookName,
    kind: 'generic',
    url: receiverUrl,
    filters: {},
    enabled: true,
  });
  return { ruleId: rule.id, incidentId, silenceId: silence.id, webhookId: webhook.id };
}
