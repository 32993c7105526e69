CREATE TABLE `blocks` (
	`blocker_id` text NOT NULL,
	`blocked_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`blocker_id`, `blocked_id`)
);
--> statement-breakpoint
CREATE INDEX `blocks_blocker_idx` ON `blocks` (`blocker_id`,`id`);--> statement-breakpoint
CREATE INDEX `blocks_blocked_idx` ON `blocks` (`blocked_id`);--> statement-breakpoint
CREATE TABLE `close_friends` (
	`user_id` text NOT NULL,
	`friend_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `friend_id`)
);
--> statement-breakpoint
CREATE INDEX `close_friends_user_idx` ON `close_friends` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `close_friends_friend_idx` ON `close_friends` (`friend_id`);--> statement-breakpoint
CREATE TABLE `follow_requests` (
	`requester_id` text NOT NULL,
	`target_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`requester_id`, `target_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `follow_requests_id_uq` ON `follow_requests` (`id`);--> statement-breakpoint
CREATE INDEX `follow_requests_target_idx` ON `follow_requests` (`target_id`,`id`);--> statement-breakpoint
CREATE TABLE `follows` (
	`follower_id` text NOT NULL,
	`followee_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`follower_id`, `followee_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `follows_id_uq` ON `follows` (`id`);--> statement-breakpoint
CREATE INDEX `follows_followee_idx` ON `follows` (`followee_id`,`id`);--> statement-breakpoint
CREATE INDEX `follows_follower_idx` ON `follows` (`follower_id`,`id`);--> statement-breakpoint
CREATE TABLE `mutes` (
	`muter_id` text NOT NULL,
	`muted_id` text NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`muter_id`, `muted_id`)
);
--> statement-breakpoint
CREATE INDEX `mutes_muter_idx` ON `mutes` (`muter_id`,`id`);