CREATE TABLE `caption_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`media_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`options_key` text NOT NULL,
	`tone` text NOT NULL,
	`language` text NOT NULL,
	`hint` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`suggestions` text,
	`alt_text` text,
	`model` text,
	`error` text,
	`input_tokens` integer,
	`output_tokens` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`claimed_until` text,
	`created_at` text NOT NULL,
	`requested_at` text NOT NULL,
	`generated_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `caption_jobs_options_uq` ON `caption_jobs` (`media_id`,`options_key`);--> statement-breakpoint
CREATE INDEX `caption_jobs_media_idx` ON `caption_jobs` (`media_id`,`requested_at`);--> statement-breakpoint
CREATE INDEX `caption_jobs_owner_idx` ON `caption_jobs` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `caption_jobs_pending_idx` ON `caption_jobs` (`owner_id`) WHERE status = 'pending';