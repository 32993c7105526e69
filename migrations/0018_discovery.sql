CREATE TABLE `explore_seen` (
	`user_id` text NOT NULL,
	`post_id` text NOT NULL,
	`seen_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `post_id`)
);
--> statement-breakpoint
CREATE INDEX `explore_seen_user_idx` ON `explore_seen` (`user_id`,`seen_at`);--> statement-breakpoint
CREATE TABLE `explore_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`post_ids` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `explore_snapshots_created_idx` ON `explore_snapshots` (`created_at`);--> statement-breakpoint
CREATE TABLE `suggestion_dismissals` (
	`user_id` text NOT NULL,
	`dismissed_id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `dismissed_id`)
);
--> statement-breakpoint
CREATE TABLE `tag_daily_uses` (
	`tag` text NOT NULL,
	`day` text NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tag`, `day`)
);
--> statement-breakpoint
CREATE INDEX `tag_daily_uses_day_idx` ON `tag_daily_uses` (`day`);--> statement-breakpoint
CREATE TABLE `tag_follows` (
	`user_id` text NOT NULL,
	`tag` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `tag`)
);
--> statement-breakpoint
CREATE INDEX `tag_follows_tag_idx` ON `tag_follows` (`tag`);--> statement-breakpoint
CREATE TABLE `trending_tags` (
	`tag` text PRIMARY KEY NOT NULL,
	`rank` integer NOT NULL,
	`score` real NOT NULL,
	`uses_today` integer NOT NULL,
	`expected` real NOT NULL,
	`computed_at` text NOT NULL
);
