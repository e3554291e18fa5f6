CREATE TABLE `controllers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`site_id` text NOT NULL,
	`gateway_device_id` text,
	`serial` integer NOT NULL,
	`label` text,
	`product_id` integer,
	`modbus_id` integer NOT NULL,
	`ip` text NOT NULL,
	`port` integer NOT NULL,
	`bacnet_instance` integer,
	`bacnet_port` integer,
	`panel_number` integer,
	`panel_name` text,
	`firmware` integer,
	`parent_serial` integer,
	`timeout_ms` integer,
	`source` text NOT NULL,
	`discovered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`gateway_device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `controllers_org_serial_uq` ON `controllers` (`org_id`,`serial`);--> statement-breakpoint
CREATE INDEX `controllers_site_idx` ON `controllers` (`site_id`);--> statement-breakpoint
CREATE INDEX `controllers_gateway_idx` ON `controllers` (`gateway_device_id`);--> statement-breakpoint
CREATE TABLE `points` (
	`controller_id` text NOT NULL,
	`org_id` text NOT NULL,
	`point_type` text NOT NULL,
	`point_number` integer NOT NULL,
	`label` text,
	`unit` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`controller_id`, `point_type`, `point_number`),
	FOREIGN KEY (`controller_id`) REFERENCES `controllers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `trend_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`site_id` text,
	`gateway_device_id` text,
	`interval_seconds` integer NOT NULL,
	`points` text NOT NULL,
	`registers` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`gateway_device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `trend_logs_org_idx` ON `trend_logs` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `trend_logs_site_idx` ON `trend_logs` (`site_id`);--> statement-breakpoint
CREATE INDEX `trend_logs_gateway_idx` ON `trend_logs` (`gateway_device_id`);--> statement-breakpoint
ALTER TABLE `sites` ADD `address` text;--> statement-breakpoint
ALTER TABLE `sites` ADD `time_zone` text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE `sites` ADD `discovery_enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `sites` ADD `discovery_interval_seconds` integer DEFAULT 600 NOT NULL;--> statement-breakpoint
ALTER TABLE `sites` ADD `discovery_targets` text DEFAULT '[]' NOT NULL;