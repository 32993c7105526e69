CREATE TABLE `live_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`audience` text NOT NULL,
	`status` text NOT NULL,
	`stream_input_uid` text,
	`ingest` text,
	`playback` text,
	`viewer_count` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`started_at` text,
	`ended_at` text,
	`disconnected_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `live_sessions_open_uq` ON `live_sessions` (`host_id`) WHERE status <> 'ended';--> statement-breakpoint
CREATE INDEX `live_sessions_live_idx` ON `live_sessions` (`host_id`) WHERE status = 'live';--> statement-breakpoint
CREATE UNIQUE INDEX `live_sessions_input_uq` ON `live_sessions` (`stream_input_uid`) WHERE stream_input_uid IS NOT NULL;