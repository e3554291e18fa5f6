import type { AlertSeverity, Comparison, ThresholdLevel } from '../../../../../schema/wire/alerts.ts';
import type { Level } from './types.ts';

/** Whether `value` is past `threshold` in the direction of `op`. */
export function passes(op: Comparison, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

export interface Levels {
  op: Comparison;
  warning?: ThresholdLevel | undefined;
  critical?: ThresholdLevel | undefined;
}

const rank: Record<Level, number> = { ok: 0, warning: 1, critical: 2 };

/**
 * The level after hysteresis. A level is entered when the value passes its `value`, and held
 * while the value is still past its `clear` (which defaults to `value`): so it is left only once
 * the value is back beyond `clear`. Holding critical counts as holding warning, so a value that
 * falls from critical lands on warning while it is still past warning's `clear`.
 */
export function levelOf(levels: Levels, held: Level, value: number): Level {
  const holds = (severity: AlertSeverity): boolean => {
    const l = levels[severity];
    if (!l) return false;
    const line = rank[held] >= rank[severity] ? (l.clear ?? l.value) : l.value;
    return passes(levels.op, value, line);
  };
  if (holds('critical')) return 'critical';
  return holds('warning') ? 'warning' : 'ok';
}

/** The threshold a level crossed, for the incident's record. */
export const thresholdOf = (levels: Levels, severity: AlertSeverity): number | null => levels[severity]?.value ?? null;
