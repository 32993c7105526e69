CREATE TABLE `timeline` (
	`user_id` text NOT NULL,
	`post_id` text NOT NULL,
	`author_id` text NOT NULL,
	PRIMARY KEY(`user_id`, `post_id`)
);
--> statement-breakpoint
CREATE INDEX `timeline_post_idx` ON `timeline` (`post_id`);--> statement-breakpoint
CREATE INDEX `timeline_user_author_idx` ON `timeline` (`user_id`,`author_id`);