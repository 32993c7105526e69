CREATE TABLE `conversation_members` (
	`conversation_id` text NOT NULL,
	`user_id` text NOT NULL,
	`folder` text NOT NULL,
	`activity_id` text NOT NULL,
	`last_read_seq` integer DEFAULT 0 NOT NULL,
	`joined_at` text NOT NULL,
	PRIMARY KEY(`conversation_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `conversation_members_inbox_idx` ON `conversation_members` (`user_id`,`folder`,`activity_id`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`direct_key` text,
	`title` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`last_message_id` text,
	`last_message_sender_id` text,
	`last_message_body` text,
	`last_message_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_direct_key_uq` ON `conversations` (`direct_key`);--> statement-breakpoint
CREATE TABLE `realtime_tickets` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`scope` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE INDEX `realtime_tickets_expires_idx` ON `realtime_tickets` (`expires_at`);