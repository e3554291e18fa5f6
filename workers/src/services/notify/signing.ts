import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signing with the reference implementation (`standardwebhooks`, pure JS, so it
 * runs in workerd as it runs in a receiver): `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 */

/** The headers of one attempt. `secrets` newest first: during a rotation both sign, space-separated. */
export function signedHeaders(
  secrets: readonly string[],
  webhookId: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Edgewatch-Webhooks/1',
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(webhookId, at, body)).join(' '),
  };
}
