ALTER TABLE `webhooks` ADD `hosts` text;--> statement-breakpoint
-- Host channels made before targets could be chosen: every device they cover, as they now default to.
UPDATE `webhooks` SET `hosts` = 'covered' WHERE `kind` = 'host';
