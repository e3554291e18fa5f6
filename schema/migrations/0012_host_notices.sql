CREATE TABLE `host_notices` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` text NOT NULL,
	`device_id` text NOT NULL,
	`incident_id` text,
	`dedup_key` text NOT NULL,
	`notice` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `host_notices_dedup_idx` ON `host_notices` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `host_notices_device_idx` ON `host_notices` (`device_id`,`seq`);--> statement-breakpoint
CREATE INDEX `host_notices_created_idx` ON `host_notices` (`created_at`);