import { schema } from '../../db.ts';

/** The D1 rollup levels: hours (written by the DeviceHubs) and days (built by rollup-cron from hours). */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type RollupTable = typeof schema.rollups1h | typeof schema.rollups1d;

export interface Level {
  /** The `rollup_marks` level naming the coarser buckets to build. */
  mark: '1d';
  /** The finer level, as `rollup_sweeps` names it. */
  sourceName: '1h';
  source: RollupTable;
  target: RollupTable;
  /** Width of a target bucket. */
  size: number;
}

export const DAYS: Level = {
  mark: '1d',
  sourceName: '1h',
  source: schema.rollups1h,
  target: schema.rollups1d,
  size: DAY_MS,
};
