CREATE TABLE `notification_groups` (
	`recipient_id` text NOT NULL,
	`group_key` text NOT NULL,
	`folder` text NOT NULL,
	`type` text NOT NULL,
	`prefix` text NOT NULL,
	`bucket` integer NOT NULL,
	`post_id` text,
	`comment_id` text,
	`count` integer NOT NULL,
	`latest_id` text NOT NULL,
	`latest_at` text NOT NULL,
	PRIMARY KEY(`recipient_id`, `group_key`)
);
--> statement-breakpoint
CREATE INDEX `notification_groups_list_idx` ON `notification_groups` (`recipient_id`,`folder`,`latest_id`);--> statement-breakpoint
CREATE INDEX `notification_groups_type_idx` ON `notification_groups` (`recipient_id`,`folder`,`type`,`latest_id`);--> statement-breakpoint
CREATE INDEX `notification_groups_open_idx` ON `notification_groups` (`recipient_id`,`prefix`,`bucket`);--> statement-breakpoint
CREATE INDEX `notification_groups_post_idx` ON `notification_groups` (`post_id`) WHERE post_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `notification_groups_comment_idx` ON `notification_groups` (`comment_id`) WHERE comment_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `notification_groups_latest_idx` ON `notification_groups` (`latest_id`);--> statement-breakpoint
CREATE INDEX `notification_groups_empty_idx` ON `notification_groups` (`count`) WHERE count <= 0;--> statement-breakpoint
CREATE TABLE `notification_markers` (
	`user_id` text PRIMARY KEY NOT NULL,
	`last_read_id` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_settings` (
	`user_id` text PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`recipient_id` text NOT NULL,
	`type` text NOT NULL,
	`actor_id` text,
	`post_id` text,
	`comment_id` text,
	`text` text,
	`group_key` text NOT NULL,
	`folder` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`created_at` text NOT NULL,
	`delivered_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_uq` ON `notifications` (`recipient_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_group_idx` ON `notifications` (`recipient_id`,`group_key`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_post_idx` ON `notifications` (`post_id`) WHERE post_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `notifications_comment_idx` ON `notifications` (`comment_id`) WHERE comment_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `notifications_actor_idx` ON `notifications` (`actor_id`,`recipient_id`) WHERE actor_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `push_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`endpoint` text NOT NULL,
	`p256dh` text NOT NULL,
	`auth` text NOT NULL,
	`created_at` text NOT NULL,
	`last_success_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `push_subscriptions_endpoint_uq` ON `push_subscriptions` (`endpoint`);--> statement-breakpoint
CREATE INDEX `push_subscriptions_user_idx` ON `push_subscriptions` (`user_id`);