CREATE TABLE `highlight_stories` (
	`highlight_id` text NOT NULL,
	`position` integer NOT NULL,
	`story_id` text NOT NULL,
	PRIMARY KEY(`highlight_id`, `position`)
);
--> statement-breakpoint
CREATE INDEX `highlight_stories_story_idx` ON `highlight_stories` (`story_id`);--> statement-breakpoint
CREATE TABLE `highlights` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`title` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `highlights_owner_idx` ON `highlights` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `stories` (
	`id` text PRIMARY KEY NOT NULL,
	`author_id` text NOT NULL,
	`media_id` text NOT NULL,
	`audience` text NOT NULL,
	`caption` text DEFAULT '' NOT NULL,
	`view_count` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE INDEX `stories_author_idx` ON `stories` (`author_id`,`id`);--> statement-breakpoint
CREATE INDEX `stories_author_expires_idx` ON `stories` (`author_id`,`expires_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `stories_media_uq` ON `stories` (`media_id`);--> statement-breakpoint
CREATE TABLE `story_views` (
	`story_id` text NOT NULL,
	`viewer_id` text NOT NULL,
	`id` text NOT NULL,
	`viewed_at` text NOT NULL,
	PRIMARY KEY(`story_id`, `viewer_id`)
);
--> statement-breakpoint
CREATE INDEX `story_views_story_idx` ON `story_views` (`story_id`,`id`);