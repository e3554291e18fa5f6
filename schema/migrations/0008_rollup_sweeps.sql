CREATE TABLE `rollup_sweeps` (
	`org_id` text NOT NULL,
	`level` text NOT NULL,
	`through` integer NOT NULL,
	PRIMARY KEY(`org_id`, `level`),
	FOREIGN KEY (`org_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Organisations swept before this table existed: their rows before the sweep's cutoffs (as it
-- ran then) may be gone, so late rows there are merged, as the roll-up used to drop them.
INSERT INTO `rollup_sweeps` (`org_id`, `level`, `through`)
SELECT `id`, '1m', (CAST(strftime('%s', 'now') AS INTEGER) * 1000 / 3600000) * 3600000 - `rollup_1m_retention_days` * 86400000
FROM `organisations`
UNION ALL
SELECT `id`, '1h', (CAST(strftime('%s', 'now') AS INTEGER) * 1000 / 86400000) * 86400000 - `rollup_1h_retention_days` * 86400000
FROM `organisations`;
