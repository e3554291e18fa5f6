CREATE TABLE `agent_configs` (
	`org_id` text NOT NULL,
	`scope` text NOT NULL,
	`config` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text,
	PRIMARY KEY(`org_id`, `scope`),
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade
);
