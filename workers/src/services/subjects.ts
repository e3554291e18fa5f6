/**
 * Subject scheme (docs/stream-protocol.md):
 * `org.<org>.site.<site or _>.device.<device>.metric.<metric>`.
 * Ids and Prometheus-style metric names never contain dots, so every level is one token.
 */
export function sampleSubject(orgId: string, siteId: string | null, deviceId: string, metric: string): string {
  return `org.${orgId}.site.${siteId ?? '_'}.device.${deviceId}.metric.${metric}`;
}

/** The subject prefix every pattern of an org's caller must start with. */
export const orgSubjectPrefix = (orgId: string) => `org.${orgId}.`;
