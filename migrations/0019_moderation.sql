CREATE TABLE `media_blocklist` (
	`id` text PRIMARY KEY NOT NULL,
	`sha256` text NOT NULL,
	`dhash` text NOT NULL,
	`band0` text NOT NULL,
	`band1` text NOT NULL,
	`band2` text NOT NULL,
	`band3` text NOT NULL,
	`band4` text NOT NULL,
	`band5` text NOT NULL,
	`band6` text NOT NULL,
	`band7` text NOT NULL,
	`source_media_id` text,
	`added_by` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `media_blocklist_sha_uq` ON `media_blocklist` (`sha256`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b0` ON `media_blocklist` (`band0`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b1` ON `media_blocklist` (`band1`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b2` ON `media_blocklist` (`band2`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b3` ON `media_blocklist` (`band3`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b4` ON `media_blocklist` (`band4`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b5` ON `media_blocklist` (`band5`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b6` ON `media_blocklist` (`band6`);--> statement-breakpoint
CREATE INDEX `media_blocklist_b7` ON `media_blocklist` (`band7`);--> statement-breakpoint
CREATE TABLE `moderation_checks` (
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`content_hash` text NOT NULL,
	`status` text NOT NULL,
	`claimed_at` text,
	`result` text,
	`verdict` text,
	`error` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`subject_type`, `subject_id`, `content_hash`)
);
--> statement-breakpoint
CREATE TABLE `moderation_events` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`duration_hours` integer,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `moderation_events_subject_idx` ON `moderation_events` (`subject_type`,`subject_id`,`id`);--> statement-breakpoint
CREATE INDEX `moderation_events_actor_idx` ON `moderation_events` (`actor_id`,`id`);--> statement-breakpoint
CREATE TABLE `moderation_subjects` (
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`context_id` text,
	`status` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`open_reports` integer DEFAULT 0 NOT NULL,
	`total_reports` integer DEFAULT 0 NOT NULL,
	`reasons` text DEFAULT '[]' NOT NULL,
	`flags` text DEFAULT '[]' NOT NULL,
	`first_report_at` text,
	`last_report_at` text,
	`snapshot` text DEFAULT '{}' NOT NULL,
	`hidden` integer DEFAULT false NOT NULL,
	`appealed_at` text,
	`activity_id` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`subject_type`, `subject_id`)
);
--> statement-breakpoint
CREATE INDEX `moderation_subjects_queue_idx` ON `moderation_subjects` (`status`,`priority`,`activity_id`);--> statement-breakpoint
CREATE INDEX `moderation_subjects_owner_idx` ON `moderation_subjects` (`owner_id`);--> statement-breakpoint
CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`reporter_id` text,
	`reason` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` text NOT NULL,
	`resolved_at` text,
	`resolved_by_event` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_open_uq` ON `reports` (`subject_type`,`subject_id`,`reporter_id`) WHERE status = 'open' AND reporter_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `reports_subject_idx` ON `reports` (`subject_type`,`subject_id`,`id`);--> statement-breakpoint
CREATE INDEX `reports_reporter_idx` ON `reports` (`reporter_id`,`id`);--> statement-breakpoint
ALTER TABLE `media` ADD `sha256` text;--> statement-breakpoint
ALTER TABLE `media` ADD `dhash` text;--> statement-breakpoint
ALTER TABLE `comments` ADD `hidden_at` text;--> statement-breakpoint
ALTER TABLE `comments` ADD `hidden_reason` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `hidden_at` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `hidden_reason` text;--> statement-breakpoint
ALTER TABLE `stories` ADD `hidden_at` text;--> statement-breakpoint
ALTER TABLE `stories` ADD `hidden_reason` text;--> statement-breakpoint
ALTER TABLE `users` ADD `role` text DEFAULT 'user' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `suspended_at` text;--> statement-breakpoint
ALTER TABLE `users` ADD `suspended_until` text;--> statement-breakpoint
ALTER TABLE `users` ADD `suspension_reason` text;--> statement-breakpoint
ALTER TABLE `users` ADD `bio_hidden_at` text;--> statement-breakpoint
CREATE INDEX `users_suspended_until_idx` ON `users` (`suspended_until`) WHERE suspended_at IS NOT NULL;--> statement-breakpoint
-- The audit log is append-only (docs/moderation.md): nothing may rewrite or remove an event.
CREATE TRIGGER `moderation_events_no_update` BEFORE UPDATE ON `moderation_events`
BEGIN SELECT RAISE(ABORT, 'moderation_events is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `moderation_events_no_delete` BEFORE DELETE ON `moderation_events`
BEGIN SELECT RAISE(ABORT, 'moderation_events is append-only'); END;
