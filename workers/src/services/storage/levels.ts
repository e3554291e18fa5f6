/** Bucket widths of the D1 rollup levels: hours (written by the DeviceHubs) and days (built by rollup-cron from hours). */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
