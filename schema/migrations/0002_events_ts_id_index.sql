DROP INDEX `events_org_ts_idx`;--> statement-breakpoint
CREATE INDEX `events_org_ts_id_idx` ON `events` (`org_id`,`ts`,`id`);