CREATE TABLE `feed_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`post_ids` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feed_snapshots_created_idx` ON `feed_snapshots` (`created_at`);--> statement-breakpoint
ALTER TABLE `posts` ADD `save_count` integer DEFAULT 0 NOT NULL;