import type { ChatRoom } from "../durable-objects/chat-room";
import type { UserHub } from "../durable-objects/user-hub";

/** The Durable Objects behind real-time features, addressed by the id of what they serve. */
export interface Realtime {
  room(conversationId: string): DurableObjectStub<ChatRoom>;
  hub(userId: string): DurableObjectStub<UserHub>;
}

export function realtimeFor(env: {
  CHAT_ROOM: DurableObjectNamespace<ChatRoom>;
  USER_HUB: DurableObjectNamespace<UserHub>;
}): Realtime {
  return {
    room: (conversationId) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(conversationId)),
    hub: (userId) => env.USER_HUB.get(env.USER_HUB.idFromName(userId)),
  };
}
