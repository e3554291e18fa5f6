import { schema } from '../../db.ts';

/** The rollup levels and how each coarser one is built from the finer one (rollup-cron, retention-cron). */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type RollupTable = typeof schema.rollups1m | typeof schema.rollups1h | typeof schema.rollups1d;

export interface Level {
  /** The `rollup_marks` level naming the coarser buckets to build. */
  mark: '1h' | '1d';
  /** The finer level, as `rollup_sweeps` names it. */
  sourceName: '1m' | '1h';
  source: RollupTable;
  target: RollupTable;
  /** Width of a target bucket. */
  size: number;
}

export const HOURS: Level = {
  mark: '1h',
  sourceName: '1m',
  source: schema.rollups1m,
  target: schema.rollups1h,
  size: HOUR_MS,
};

export const DAYS: Level = {
  mark: '1d',
  sourceName: '1h',
  source: schema.rollups1h,
  target: schema.rollups1d,
  size: DAY_MS,
};
