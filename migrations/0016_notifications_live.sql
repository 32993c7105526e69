ALTER TABLE `notification_groups` ADD `live_id` text;--> statement-breakpoint
ALTER TABLE `notifications` ADD `live_id` text;