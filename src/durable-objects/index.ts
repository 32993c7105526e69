/**
 * The Durable Object classes wrangler.toml binds, which a Worker entry must export by name. The
 * production entry (src/index.ts) names them from here; the bench entry (src/bench/entry.ts)
 * re-exports all of this module, so it always serves the same classes.
 */
export { ChatRoom } from "./chat-room/chat-room";
export { LiveRoom } from "./live-room";
export { StoryTray } from "./story-tray";
export { TimelinePartition } from "./timeline-partition";
export { UserHub } from "./user-hub";
