/** Time units in milliseconds: the one definition the Worker's modules share. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
