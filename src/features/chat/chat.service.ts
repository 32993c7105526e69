import type { z } from "@hono/zod-openapi";
import { decodeCursor, invalidCursor, splitPage, toPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { randomToken, sha256Hex } from "../../platform/crypto";
import { newId } from "../../platform/ids";
import { canMessage, canSeeConversation } from "../../policy";
import { requireLiveViewer, requirePostViewer } from "../live/live.service";
import { type SummaryDeps, toUserSummary, type UserSummaryRow } from "../users/user-summary";
import type { ChatMessage, RoomRefusal } from "./chat.protocol";
import {
  type ConversationRow,
  deleteMember,
  deleteOldTickets,
  directKey,
  findCandidates,
  findConversation,
  findDirectConversationId,
  findMembership,
  insertConversation,
  insertTicket,
  listConversations as listRows,
  moveToInbox,
} from "./chat.repo";
import type { ConversationPageSchema, ConversationSchema, MessagePageSchema } from "./chat.schema";
import { admitSocket, objectCall, relayUpgrade } from "./socket-admission";

/**
 * Limited per account (docs/security.md D6): HTTP sends (`limits.message`, 100 per 10 s), new
 * conversations (`limits.conversation`, 20 a minute) and realtime tickets (`limits.ticket`, 60 a
 * minute).
 */
export type ChatDeps = Pick<Platform, "db" | "clock" | "config" | "realtime" | "limits" | "origin">;

type Conversation = z.infer<typeof ConversationSchema>;
type ConversationPage = z.infer<typeof ConversationPageSchema>;
type MessagePage = z.infer<typeof MessagePageSchema>;

export const TICKET_TTL_SECONDS = 60;
const noConversation = () => notFound("conversation");

async function toConversation(deps: SummaryDeps, row: ConversationRow): Promise<Conversation> {
  const members = await Promise.all(
    (JSON.parse(row.members) as UserSummaryRow[]).map((member) => toUserSummary(deps, member)), // userSummaryJson rows
  );
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    members: members.sort((a, b) => a.username.localeCompare(b.username)),
    folder: row.folder,
    last_message:
      row.last_message_id && row.last_message_sender_id && row.last_message_body !== null && row.last_message_at
        ? {
            id: row.last_message_id,
            sender: row.last_message_sender_id,
            body: row.last_message_body,
            created_at: row.last_message_at,
          }
        : null,
    unread_count: Math.max(0, row.last_seq - row.last_read_seq),
    last_activity_at: row.last_message_at ?? row.created_at,
    created_at: row.created_at,
  };
}

/**
 * Starts a conversation: one other person makes a 1:1 (the existing one if there is one), more make
 * a group. Someone who does not follow the creator finds it in their requests folder. A name that
 * does not exist and one across a block answer the same 404.
 */
export async function createConversation(
  deps: ChatDeps,
  creatorId: string,
  input: { usernames: string[]; title?: string },
): Promise<{ conversation: Conversation; created: boolean }> {
  const names = [...new Set(input.usernames.map((u) => u.toLowerCase()))];
  const candidates = await findCandidates(deps.db, creatorId, names);
  const byName = new Map(candidates.map((c) => [c.username, c]));
  for (const name of names) {
    const found = byName.get(name);
    const blocked = found?.blocked === 1;
    if (!found || (found.id !== creatorId && !canMessage({ self: false, signedIn: true, blocked }))) {
      throw notFound(`user ${name}`);
    }
  }
  const others = candidates.filter((c) => c.id !== creatorId);
  if (others.length === 0) {
    throw new ApiError("validation_failed", "Name at least one person besides yourself.", {
      errors: [{ path: "usernames", message: "Name at least one person besides yourself" }],
    });
  }
  const kind = others.length === 1 ? "direct" : "group";
  if (kind === "direct" && input.title !== undefined) {
    throw new ApiError("validation_failed", "Only groups have a title.", {
      errors: [{ path: "title", message: "Only groups have a title" }],
    });
  }
  const [other] = others;
  // Only a conversation that would be new counts, so a client may open an existing 1:1 this way
  // as often as it likes; message requests to strangers are what the limit slows.
  if (!other || kind === "group" || (await findDirectConversationId(deps.db, creatorId, other.id)) === null) {
    await enforceLimit(deps.limits.conversation, creatorId);
  }
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const existingId = await insertConversation(deps.db, {
    id,
    kind,
    directKey: kind === "direct" && other ? directKey(creatorId, other.id) : null,
    title: input.title ?? null,
    createdBy: creatorId,
    now: now.toISOString(),
    members: [
      { userId: creatorId, folder: "inbox" },
      ...others.map((c) => ({ userId: c.id, folder: c.follows_creator ? ("inbox" as const) : ("requests" as const) })),
    ],
  });
  return { conversation: await getConversation(deps, creatorId, existingId), created: existingId === id };
}

export async function getConversation(deps: ChatDeps, userId: string, conversationId: string): Promise<Conversation> {
  await requireMember(deps, userId, conversationId);
  const row = await findConversation(deps.db, conversationId, userId);
  if (!row) throw noConversation();
  return toConversation(deps, row);
}

export async function listConversations(
  deps: ChatDeps,
  userId: string,
  query: { folder: "inbox" | "requests"; cursor?: string; limit: number },
): Promise<ConversationPage> {
  const list = `conversations:${userId}:${query.folder}`;
  let before: [string, string] | null = null;
  if (query.cursor !== undefined) {
    const [activity, id] = await decodeCursor(deps.config.signingSecret, list, query.cursor);
    if (typeof activity !== "string" || typeof id !== "string") throw invalidCursor();
    before = [activity, id];
  }
  const rows = await listRows(deps.db, { userId, folder: query.folder, before, limit: query.limit + 1 });
  return toPage(rows, {
    limit: query.limit,
    secret: deps.config.signingSecret,
    list,
    key: (r) => [r.activity_id, r.id],
    map: (r) => toConversation(deps, r),
  });
}

/** Moves a conversation from the caller's requests to their inbox. */
export async function acceptConversation(deps: ChatDeps, userId: string, conversationId: string) {
  await requireMember(deps, userId, conversationId);
  await moveToInbox(deps.db, conversationId, userId);
  return getConversation(deps, userId, conversationId);
}

/** Leaves a group: no more messages reach the caller, and their open sockets close (4003). */
export async function leaveConversation(deps: ChatDeps, userId: string, conversationId: string): Promise<void> {
  const membership = await requireMember(deps, userId, conversationId);
  if (membership.kind === "direct") throw new ApiError("conflict", "A 1:1 conversation cannot be left; block instead.");
  await deleteMember(deps.db, conversationId, userId);
  await objectCall(() => deps.realtime.room(conversationId).removeMember(conversationId, userId));
}

export async function listMessages(
  deps: ChatDeps,
  userId: string,
  conversationId: string,
  page: { cursor?: string; limit: number },
): Promise<MessagePage> {
  await requireMember(deps, userId, conversationId);
  const list = `messages:${conversationId}`;
  let beforeSeq: number | null = null;
  if (page.cursor !== undefined) {
    const [seq] = await decodeCursor(deps.config.signingSecret, list, page.cursor);
    if (typeof seq !== "number") throw invalidCursor();
    beforeSeq = seq;
  }
  const result = await objectCall(async () =>
    deps.realtime.room(conversationId).history(conversationId, userId, { beforeSeq, limit: page.limit + 1 }),
  );
  if (!result.ok) throw refusalError(result.code);
  const { rows, next_cursor } = await splitPage(result.messages, {
    limit: page.limit,
    secret: deps.config.signingSecret,
    list,
    key: (m) => [m.seq],
  });
  return { items: rows, next_cursor };
}

/** Sends over HTTP, for clients without a socket: the same storage, broadcast and idempotency. */
export async function sendMessage(
  deps: ChatDeps,
  userId: string,
  conversationId: string,
  input: { body: string; client_id: string },
  storyId?: string,
): Promise<{ message: ChatMessage; duplicate: boolean }> {
  await requireMember(deps, userId, conversationId);
  await enforceLimit(deps.limits.message, userId);
  const result = await objectCall(async () =>
    deps.realtime
      .room(conversationId)
      .post(conversationId, userId, { body: input.body, clientId: input.client_id, storyId }),
  );
  if (!result.ok) {
    if (result.code === "invalid_message") {
      throw new ApiError("validation_failed", result.detail ?? "Invalid message.", {
        errors: [{ path: "body", message: result.detail ?? "Invalid message" }],
      });
    }
    throw refusalError(result.code);
  }
  return { message: result.message, duplicate: result.duplicate };
}

/** Marks the conversation read up to a message (for clients without a socket): a receipt to the others. */
export async function markRead(deps: ChatDeps, userId: string, conversationId: string, messageId: string) {
  await requireMember(deps, userId, conversationId);
  const result = await objectCall(() => deps.realtime.room(conversationId).markRead(conversationId, userId, messageId));
  if (!result.ok) throw notFound("message");
}

// ---- realtime tickets and sockets ----

/** A one-use ticket, valid TICKET_TTL_SECONDS, for opening one socket on `scope`. */
export async function issueTicket(
  deps: ChatDeps,
  userId: string,
  scope: string,
): Promise<{ ticket: string; expires_at: string }> {
  await enforceLimit(deps.limits.ticket, userId);
  const conversationId = conversationOfScope(scope);
  if (conversationId !== null) await requireMember(deps, userId, conversationId);
  // A live room or a post's live comments: only for whoever may see the session or the post.
  else if (scope.startsWith("live:")) await requireLiveViewer(deps, userId, scope.slice("live:".length));
  else if (scope.startsWith("post:")) await requirePostViewer(deps, userId, scope.slice("post:".length));
  const ticket = randomToken(32);
  const expiresAt = new Date(deps.clock.now().getTime() + TICKET_TTL_SECONDS * 1000).toISOString();
  await insertTicket(deps.db, { tokenHash: await sha256Hex(ticket), userId, scope, expiresAt });
  return { ticket, expires_at: expiresAt };
}

export async function openRoomSocket(
  deps: ChatDeps,
  request: Request,
  conversationId: string,
  query: { ticket: string; since?: number },
): Promise<Response> {
  const userId = await admitSocket(deps, request, query.ticket, `conversation:${conversationId}`, noConversation);
  await requireMember(deps, userId, conversationId);
  const url = new URL("https://chat-room/ws");
  if (query.since !== undefined) url.searchParams.set("since", String(query.since));
  const res = await objectCall(() =>
    deps.realtime.room(conversationId).fetch(url, {
      headers: { upgrade: "websocket", "x-edgegram-user": userId, "x-edgegram-conversation": conversationId },
    }),
  );
  return relayUpgrade(res, noConversation);
}

export async function openHubSocket(deps: ChatDeps, request: Request, query: { ticket: string }): Promise<Response> {
  const userId = await admitSocket(deps, request, query.ticket, "user", noConversation);
  const res = await objectCall(() =>
    deps.realtime.hub(userId).fetch("https://user-hub/ws", {
      headers: { upgrade: "websocket", "x-edgegram-user": userId },
    }),
  );
  return relayUpgrade(res, noConversation);
}

/** Hourly: tickets live a minute, so rows an hour past their expiry serve nobody. */
export async function sweepTickets(deps: Pick<ChatDeps, "db" | "clock">): Promise<void> {
  await deleteOldTickets(deps.db, new Date(deps.clock.now().getTime() - 3600_000).toISOString());
}

/** A block between two people closes their 1:1 (open sockets too); unblocking reopens it. */
export async function directBlockChanged(
  deps: Pick<ChatDeps, "db" | "realtime">,
  a: string,
  b: string,
  blocked: boolean,
) {
  const conversationId = await findDirectConversationId(deps.db, a, b);
  if (conversationId) await deps.realtime.room(conversationId).setClosed(conversationId, blocked);
}

// ---- helpers ----

async function requireMember(deps: ChatDeps, userId: string, conversationId: string) {
  const membership = await findMembership(deps.db, conversationId, userId);
  // Not a member, or a 1:1 across a block: as if it did not exist (docs/security.md A6, A7).
  if (!membership || !canSeeConversation(membership.kind, membership.blocked === 1)) throw noConversation();
  return membership;
}

function conversationOfScope(scope: string): string | null {
  return scope.startsWith("conversation:") ? scope.slice("conversation:".length) : null;
}

function refusalError(code: RoomRefusal): ApiError {
  return code === "closed" ? new ApiError("conflict", "This conversation is closed.") : noConversation();
}
