CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`job` text NOT NULL,
	`created_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`claimed_until` text,
	`sent_at` text
);
--> statement-breakpoint
CREATE INDEX `outbox_unsent_idx` ON `outbox` (`id`) WHERE sent_at IS NULL;--> statement-breakpoint
CREATE INDEX `outbox_sent_idx` ON `outbox` (`sent_at`) WHERE sent_at IS NOT NULL;