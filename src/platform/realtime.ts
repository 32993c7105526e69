import type { ChatRoom } from "../durable-objects/chat-room/chat-room";
import type { LiveRoom } from "../durable-objects/live-room";
import type { StoryTray } from "../durable-objects/story-tray";
import type { UserHub } from "../durable-objects/user-hub";

/** The Durable Objects behind real-time features, addressed by the id of what they serve. */
export interface Realtime {
  room(conversationId: string): DurableObjectStub<ChatRoom>;
  hub(userId: string): DurableObjectStub<UserHub>;
  tray(userId: string): DurableObjectStub<StoryTray>;
  /** `live:{sessionId}` or `post:{postId}`. */
  liveRoom(key: string): DurableObjectStub<LiveRoom>;
}

export function realtimeFor(env: Pick<Env, "CHAT_ROOM" | "USER_HUB" | "STORY_TRAY" | "LIVE_ROOM">): Realtime {
  return {
    room: (conversationId) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(conversationId)),
    hub: (userId) => env.USER_HUB.get(env.USER_HUB.idFromName(userId)),
    tray: (userId) => env.STORY_TRAY.get(env.STORY_TRAY.idFromName(userId)),
    liveRoom: (key) => env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(key)),
  };
}
