import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { ago } from "../lib/time";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/Feedback";
import { CONVERSATIONS_KEY, conversationKey } from "./cache";
import { ConversationFaces, conversationName, othersOf } from "./people";

type Conversation = Schemas["Conversation"];

function preview(conversation: Conversation, meId: string): string {
  const last = conversation.last_message;
  if (!last) return "No messages yet";
  const body = last.body.trim() === "" ? "Message unavailable" : last.body.replace(/\s+/g, " ");
  if (last.sender === meId) return `You: ${body}`;
  if (conversation.kind === "group") {
    const sender = conversation.members.find((m) => m.id === last.sender);
    if (sender) return `${sender.username}: ${body}`;
  }
  return body;
}

/** Moves a message request into the inbox. */
export function useAccept(conversationId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () =>
      data(await api.POST("/v1/conversations/{id}/accept", { params: { path: { id: conversationId } }, body: {} })),
    onSuccess: (conversation) => {
      client.setQueryData(conversationKey(conversation.id), conversation);
      void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
    },
  });
}

/** A conversation in the inbox: who, the last message, when, and whether there is something unread. */
export function ConversationRow({
  conversation,
  meId,
  request = false,
}: {
  conversation: Conversation;
  meId: string;
  request?: boolean;
}) {
  const others = othersOf(conversation, meId);
  const name = conversationName(conversation, meId);
  const unread = conversation.unread_count;
  const accept = useAccept(conversation.id);
  return (
    <li className="border-b border-neutral-100 last:border-b-0" data-testid="conversation">
      <div className="flex items-center gap-2 pr-4">
        <Link
          href={`/direct/${conversation.id}`}
          className="flex min-w-0 flex-1 items-center gap-3 px-4 py-3 hover:bg-neutral-50"
        >
          <ConversationFaces people={others} />
          <span className="min-w-0 flex-1">
            <span className={`block truncate ${unread > 0 ? "font-bold" : "font-semibold"} text-neutral-900`}>
              {name}
            </span>
            <span className="flex gap-1 text-sm">
              <span className={`truncate ${unread > 0 ? "font-semibold text-neutral-900" : "text-neutral-600"}`}>
                {preview(conversation, meId)}
              </span>
              <span className="shrink-0 text-neutral-600" aria-hidden="true">
                ·
              </span>
              <time dateTime={conversation.last_activity_at} className="shrink-0 text-neutral-600">
                {ago(conversation.last_activity_at)}
              </time>
            </span>
          </span>
          {unread > 0 ? (
            <>
              <span aria-hidden="true" className="h-2.5 w-2.5 shrink-0 rounded-full bg-blue-700" />
              <span className="sr-only">
                , {unread} unread {unread === 1 ? "message" : "messages"}
              </span>
            </>
          ) : null}
        </Link>
        {request ? (
          <Button
            className="shrink-0 px-3 py-1.5"
            busy={accept.isPending}
            onClick={() => accept.mutate()}
            aria-label={`Accept the message request from ${name}`}
          >
            Accept
          </Button>
        ) : null}
      </div>
      <ErrorMessage error={accept.error} className="mx-4 mb-2" />
    </li>
  );
}
