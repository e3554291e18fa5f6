CREATE TABLE `rollup_marks` (
	`level` text NOT NULL,
	`series_id` text NOT NULL,
	`bucket` integer NOT NULL,
	`org_id` text NOT NULL,
	PRIMARY KEY(`level`, `series_id`, `bucket`)
);
--> statement-breakpoint
CREATE TABLE `rollups_1d` (
	`series_id` text NOT NULL,
	`bucket` integer NOT NULL,
	`org_id` text NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`last` real NOT NULL,
	PRIMARY KEY(`series_id`, `bucket`),
	FOREIGN KEY (`series_id`) REFERENCES `series`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rollups_1d_org_bucket_idx` ON `rollups_1d` (`org_id`,`bucket`);--> statement-breakpoint
CREATE TABLE `rollups_1h` (
	`series_id` text NOT NULL,
	`bucket` integer NOT NULL,
	`org_id` text NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`last` real NOT NULL,
	PRIMARY KEY(`series_id`, `bucket`),
	FOREIGN KEY (`series_id`) REFERENCES `series`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rollups_1h_org_bucket_idx` ON `rollups_1h` (`org_id`,`bucket`);--> statement-breakpoint
ALTER TABLE `organisations` ADD `raw_retention_days` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `organisations` ADD `rollup_1m_retention_days` integer DEFAULT 90 NOT NULL;--> statement-breakpoint
ALTER TABLE `organisations` ADD `rollup_1h_retention_days` integer DEFAULT 730 NOT NULL;--> statement-breakpoint
ALTER TABLE `organisations` ADD `rollup_1d_retention_days` integer;--> statement-breakpoint
ALTER TABLE `devices` ADD `raw_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `raw_samples` integer DEFAULT 0 NOT NULL;