-- Issue 14: 1-minute rollups move into each DeviceHub (one row per series and hour, the hour's
-- minutes as a column block); D1 keeps hours and days keyed by a compact integer series id.
-- Existing 1-minute rows cannot be pushed into the hubs from SQL: the hours still marked for
-- roll-up are built from them first (as the cron did), then the table is dropped. What is lost:
-- the 1-minute resolution of data flushed before this migration (history with a 1-minute step
-- over that range answers from raw samples while raw retention holds them, else from hours).
ALTER TABLE `series` ADD `num` integer NOT NULL DEFAULT 0;--> statement-breakpoint
UPDATE `series` SET `num` = rowid;--> statement-breakpoint
CREATE UNIQUE INDEX `series_num_unique` ON `series` (`num`);--> statement-breakpoint
-- The DeviceHub assigns `num` as it registers series; a row inserted without one (by hand, or an
-- older Worker during a deploy) gets the next number here instead of colliding on 0.
CREATE TRIGGER `series_num_assign` AFTER INSERT ON `series` WHEN NEW.`num` = 0 BEGIN
  UPDATE `series` SET `num` = (SELECT MAX(`num`) + 1 FROM `series`) WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
-- Pending hours, as rollup-cron built them: recomputed where the sweep has not reached…
INSERT INTO `rollups_1h` (`series_id`, `bucket`, `org_id`, `count`, `sum`, `min`, `max`, `last`)
SELECT m.`series_id`, m.`bucket`, m.`org_id`, SUM(r.`count`), SUM(r.`sum`), MIN(r.`min`), MAX(r.`max`),
  (SELECT l.`last` FROM `rollups_1m` l WHERE l.`series_id` = m.`series_id` AND l.`bucket` >= m.`bucket` AND l.`bucket` < m.`bucket` + 3600000 ORDER BY l.`bucket` DESC LIMIT 1)
FROM `rollup_marks` m JOIN `rollups_1m` r ON r.`series_id` = m.`series_id` AND r.`bucket` >= m.`bucket` AND r.`bucket` < m.`bucket` + 3600000
WHERE m.`level` = '1h' AND m.`bucket` >= COALESCE((SELECT w.`through` FROM `rollup_sweeps` w WHERE w.`org_id` = m.`org_id` AND w.`level` = '1m'), -1)
GROUP BY m.`series_id`, m.`bucket`
ON CONFLICT (`series_id`, `bucket`) DO UPDATE SET `count` = excluded.`count`, `sum` = excluded.`sum`,
  `min` = excluded.`min`, `max` = excluded.`max`, `last` = excluded.`last`;--> statement-breakpoint
-- …and merged where it has (those minutes arrived after the sweep).
INSERT INTO `rollups_1h` (`series_id`, `bucket`, `org_id`, `count`, `sum`, `min`, `max`, `last`)
SELECT m.`series_id`, m.`bucket`, m.`org_id`, SUM(r.`count`), SUM(r.`sum`), MIN(r.`min`), MAX(r.`max`),
  (SELECT l.`last` FROM `rollups_1m` l WHERE l.`series_id` = m.`series_id` AND l.`bucket` >= m.`bucket` AND l.`bucket` < m.`bucket` + 3600000 ORDER BY l.`bucket` DESC LIMIT 1)
FROM `rollup_marks` m JOIN `rollups_1m` r ON r.`series_id` = m.`series_id` AND r.`bucket` >= m.`bucket` AND r.`bucket` < m.`bucket` + 3600000
WHERE m.`level` = '1h' AND m.`bucket` < COALESCE((SELECT w.`through` FROM `rollup_sweeps` w WHERE w.`org_id` = m.`org_id` AND w.`level` = '1m'), -1)
GROUP BY m.`series_id`, m.`bucket`
ON CONFLICT (`series_id`, `bucket`) DO UPDATE SET `count` = `count` + excluded.`count`, `sum` = `sum` + excluded.`sum`,
  `min` = MIN(`min`, excluded.`min`), `max` = MAX(`max`, excluded.`max`), `last` = excluded.`last`;--> statement-breakpoint
INSERT INTO `rollup_marks` (`level`, `series_id`, `bucket`, `org_id`)
SELECT '1d', `series_id`, `bucket` - `bucket` % 86400000, `org_id` FROM `rollup_marks` WHERE `level` = '1h'
ON CONFLICT DO NOTHING;--> statement-breakpoint
DELETE FROM `rollup_marks` WHERE `level` = '1h';--> statement-breakpoint
DELETE FROM `rollup_sweeps` WHERE `level` = '1m';--> statement-breakpoint
DROP TABLE `rollups_1m`;--> statement-breakpoint
CREATE TABLE `rollup_merges` (
	`token` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `__new_rollups_1d` (
	`sid` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`last` real NOT NULL,
	PRIMARY KEY(`sid`, `bucket`),
	FOREIGN KEY (`sid`) REFERENCES `series`(`num`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_rollups_1d` (`sid`, `bucket`, `count`, `sum`, `min`, `max`, `last`)
SELECT s.`num`, r.`bucket`, r.`count`, r.`sum`, r.`min`, r.`max`, r.`last` FROM `rollups_1d` r JOIN `series` s ON s.`id` = r.`series_id`;--> statement-breakpoint
DROP TABLE `rollups_1d`;--> statement-breakpoint
ALTER TABLE `__new_rollups_1d` RENAME TO `rollups_1d`;--> statement-breakpoint
CREATE TABLE `__new_rollups_1h` (
	`sid` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`last` real NOT NULL,
	PRIMARY KEY(`sid`, `bucket`),
	FOREIGN KEY (`sid`) REFERENCES `series`(`num`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_rollups_1h` (`sid`, `bucket`, `count`, `sum`, `min`, `max`, `last`)
SELECT s.`num`, r.`bucket`, r.`count`, r.`sum`, r.`min`, r.`max`, r.`last` FROM `rollups_1h` r JOIN `series` s ON s.`id` = r.`series_id`;--> statement-breakpoint
DROP TABLE `rollups_1h`;--> statement-breakpoint
ALTER TABLE `__new_rollups_1h` RENAME TO `rollups_1h`;--> statement-breakpoint
CREATE TABLE `__new_rollup_marks` (
	`level` text NOT NULL,
	`sid` integer NOT NULL,
	`bucket` integer NOT NULL,
	`org_id` text NOT NULL,
	PRIMARY KEY(`level`, `sid`, `bucket`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_rollup_marks` (`level`, `sid`, `bucket`, `org_id`)
SELECT m.`level`, s.`num`, m.`bucket`, m.`org_id` FROM `rollup_marks` m JOIN `series` s ON s.`id` = m.`series_id`;--> statement-breakpoint
DROP TABLE `rollup_marks`;--> statement-breakpoint
ALTER TABLE `__new_rollup_marks` RENAME TO `rollup_marks`;--> statement-breakpoint
ALTER TABLE `devices` ADD `minute_rows` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `minutes_from` integer;
