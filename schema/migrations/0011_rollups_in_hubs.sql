-- Issue 15: hour and day rollups move into each DeviceHub, and D1 stops receiving a write per
-- device every flush. The device row gets the figures the hub reports at most every 15 minutes
-- (rollup rows, samples per clock hour) and `live`, which the hub writes only when the device
-- comes online or goes offline (with `last_seen_at`). `rollups_1h`, `rollups_1d`, `rollup_marks`,
-- `rollup_merges` and `rollup_sweeps` stay for now: each hub reads its rows once from its alarm
-- (objects/device-hub/rollup-adopt.ts); nothing writes them any more, and a later release drops them.
ALTER TABLE `devices` ADD `live` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `hour_rows` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `day_rows` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `samples_hour` integer;--> statement-breakpoint
ALTER TABLE `devices` ADD `samples_in_hour` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `devices` ADD `samples_in_previous_hour` integer DEFAULT 0 NOT NULL;