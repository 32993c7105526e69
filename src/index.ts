import { createApp } from "./app";
import { workerFor } from "./worker";

// By name, not `export *`: `wrangler types` reads this file's own exports without bundling, and
// types the Durable Object bindings (worker-configuration.d.ts) only for classes it sees here.
export { ChatRoom, LiveRoom, StoryTray, TimelinePartition, UserHub } from "./durable-objects";

/** The production Worker. The bench serves another entry, src/bench/entry.ts, never imported here. */
export default workerFor(createApp());
