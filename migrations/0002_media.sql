CREATE TABLE `failed_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `failed_jobs_created_idx` ON `failed_jobs` (`created_at`);--> statement-breakpoint
CREATE TABLE `media` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`status` text NOT NULL,
	`declared_type` text NOT NULL,
	`declared_size` integer NOT NULL,
	`content_type` text,
	`byte_size` integer,
	`width` integer,
	`height` integer,
	`thumbhash` text,
	`original_key` text NOT NULL,
	`master_key` text,
	`error` text,
	`attached_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `media_owner_created_idx` ON `media` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `media_orphans_idx` ON `media` (`created_at`) WHERE attached_at IS NULL;