import { ApiError } from '../../errors.ts';
import { settings } from '../../settings.ts';
import { refusal } from './ssrf.ts';

/** The 400 for a webhook URL the SSRF guard refuses, naming `url`. */
export const urlRefused = (reason: string) => new ApiError(400, 'url_not_allowed', `url: ${reason}`, { field: 'url' });

/** Refuses (400 naming `url`) a URL a webhook may not be saved with; see ssrf.ts. */
export async function checkWebhookUrl(env: Env, url: string): Promise<void> {
  const s = settings(env);
  const reason = await refusal(
    url,
    {
      allowPrivate: s.ALLOW_PRIVATE_WEBHOOKS,
      resolver: s.WEBHOOK_DNS_RESOLVER,
      signal: AbortSignal.timeout(s.WEBHOOK_TIMEOUT_MS),
    },
    'create',
  ).catch(() => null);
  if (reason) throw urlRefused(reason);
}
