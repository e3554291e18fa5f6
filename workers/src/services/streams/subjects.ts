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

/** Subject of a device's event, e.g. `device.offline` → `…device.<device>.event.device_offline`. */
export function deviceEventSubject(orgId: string, siteId: string | null, deviceId: string, type: string): string {
  return `org.${orgId}.site.${siteId ?? '_'}.device.${deviceId}.event.${eventToken(type)}`;
}

/** Subject of an org-wide event, e.g. `config.changed` → `org.<org>.event.config_changed`. */
export const orgEventSubject = (orgId: string, type: string) => `org.${orgId}.event.${eventToken(type)}`;

const eventToken = (type: string) => type.replace(/[^A-Za-z0-9_-]/g, '_');
