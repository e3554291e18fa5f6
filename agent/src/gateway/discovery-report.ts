import { describeHttpError } from '../transports/http-errors.ts';
import { AGENT_VERSION } from '../version.ts';
import type { DiscoveredController } from './discovery.ts';

export interface ReportTarget {
  /** Worker base URL. */
  url: string;
  deviceToken: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
}

/** What the platform changed for a round. */
export interface ReportOutcome {
  created: number;
  updated: number;
}

/**
 * Sends one completed discovery round to `POST /v1/agents/gateway/discovered` over HTTPS, whatever
 * transport ships the samples: a round is rare and small, and the platform upserts by serial
 * number, so a round lost to an outage is simply made good by the next one. Throws with the
 * server's reason on any failure (the discovery collector logs it).
 */
export async function reportDiscovered(
  target: ReportTarget,
  controllers: DiscoveredController[],
  at: number,
): Promise<ReportOutcome> {
  const endpoint = new URL('v1/agents/gateway/discovered', target.url.endsWith('/') ? target.url : `${target.url}/`);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${target.deviceToken}`,
      'content-type': 'application/json',
      'user-agent': `edgewatch-agent/${AGENT_VERSION}`,
    },
    body: JSON.stringify({ at, controllers }),
    signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`discovery report refused: ${describeHttpError(res.status, res.statusText, text).reason}`);
  const body = JSON.parse(text) as Partial<ReportOutcome>;
  return { created: body.created ?? 0, updated: body.updated ?? 0 };
}
