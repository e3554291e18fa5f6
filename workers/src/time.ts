/** Time units in milliseconds: the one definition the Worker's modules share. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * How stale a device row's storage figures may get while they change: its DeviceHub writes them
 * to D1 at most this often (objects/device-hub/device-report.ts). The capacity model counts it.
 */
export const DEVICE_REPORT_INTERVAL_MS = 15 * MINUTE_MS;

/**
 * How long a DeviceHub answers config polls from its copy without being told of a change
 * (objects/device-hub/agent-config.ts): a backstop, since every change tells the hub.
 */
export const AGENT_CONFIG_CACHE_MS = HOUR_MS;
