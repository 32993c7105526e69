import type { Schemas } from "../api/client";
import { describeError } from "../api/problem";
import { Avatar } from "../ui/Avatar";
import type { Pending } from "./useRoom";

type Message = Schemas["Message"];
type Person = Schemas["UserSummary"];

/** A gap this long between two messages gets a time line between them, as chat apps do. */
const GAP_MS = 60 * 60_000;

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

function Bubble({ mine, children, faded = false }: { mine: boolean; children: React.ReactNode; faded?: boolean }) {
  return (
    <div
      className={`max-w-[75%] rounded-3xl px-4 py-2 text-[15px] leading-snug break-words whitespace-pre-wrap ${
        mine ? "bg-blue-700 text-white" : "bg-neutral-100 text-neutral-900"
      } ${faded ? "opacity-70" : ""}`}
    >
      {children}
    </div>
  );
}

/**
 * The conversation as a log (role="log": new messages are announced politely). Your messages on
 * the right, theirs on the left with their face at the end of each run; pending sends after the
 * last stored message; "Seen" (or "Sent") under your last message.
 */
export function MessageList({
  messages,
  pending,
  members,
  meId,
  group,
  readBy,
  onRetry,
  onDiscard,
}: {
  messages: Message[];
  pending: Pending[];
  members: Person[];
  meId: string;
  group: boolean;
  readBy: Record<string, number>;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}) {
  const byId = new Map(members.map((m) => [m.id, m]));
  const others = members.filter((m) => m.id !== meId);
  const confirmed = new Set(messages.filter((m) => m.sender === meId).map((m) => m.client_id));
  const waiting = pending.filter((p) => !confirmed.has(p.client_id));
  let lastMine: Message | undefined;
  for (const m of messages) if (m.sender === meId) lastMine = m;
  const seenBy = lastMine ? others.filter((p) => (readBy[p.id] ?? 0) >= (lastMine?.seq ?? 0)) : [];
  const receipt = seenBy.length === 0 ? "Sent" : group ? `Seen by ${seenBy.map((p) => p.username).join(", ")}` : "Seen";

  return (
    <ol role="log" aria-live="polite" aria-relevant="additions" aria-label="Messages" className="space-y-1 px-4 py-4">
      {messages.map((message, i) => {
        const previous = messages[i - 1];
        const next = messages[i + 1];
        const mine = message.sender === meId;
        const sender = byId.get(message.sender);
        const name = mine ? "You" : (sender?.username ?? "Someone");
        const at = new Date(message.created_at);
        const gap = !previous || at.getTime() - new Date(previous.created_at).getTime() > GAP_MS;
        const firstOfRun = gap || previous?.sender !== message.sender;
        const lastOfRun = !next || next.sender !== message.sender;
        return (
          <li key={message.id} className={firstOfRun && i > 0 ? "pt-2" : ""} data-testid="message">
            {gap ? (
              <p className="py-2 text-center text-xs font-medium text-neutral-600" aria-hidden="true">
                {when.format(at)}
              </p>
            ) : null}
            {group && !mine && firstOfRun ? (
              <p className="ml-12 pb-0.5 text-xs text-neutral-600" aria-hidden="true">
                {name}
              </p>
            ) : null}
            <div className={`flex items-end gap-2 ${mine ? "justify-end" : ""}`} title={when.format(at)}>
              {!mine ? (
                <span className="w-8 shrink-0">{lastOfRun && sender ? <Avatar user={sender} size="sm" /> : null}</span>
              ) : null}
              <span className="sr-only">
                {name} at {clock.format(at)}:{" "}
              </span>
              <Bubble mine={mine}>
                {message.sender_deleted ? (
                  <span className="italic">Message from a deleted account</span>
                ) : message.body.trim() === "" ? (
                  <span className="italic">Message unavailable</span>
                ) : (
                  <>
                    {message.story_id ? (
                      <span className={`block text-xs ${mine ? "text-blue-100" : "text-neutral-600"}`}>
                        Replied to a story
                      </span>
                    ) : null}
                    {message.body}
                  </>
                )}
              </Bubble>
            </div>
            {message === lastMine && waiting.length === 0 ? (
              <p className="pt-1 pr-1 text-right text-xs text-neutral-600" data-testid="receipt">
                {receipt}
              </p>
            ) : null}
          </li>
        );
      })}
      {waiting.map((item) => (
        <li key={item.client_id} className="pt-1" data-testid="pending-message">
          <div className="flex justify-end">
            <span className="sr-only">You: </span>
            <Bubble mine faded>
              {item.body}
            </Bubble>
          </div>
          {item.state === "sending" ? (
            <p className="pt-1 pr-1 text-right text-xs text-neutral-600">Sending…</p>
          ) : (
            <div className="flex flex-wrap items-center justify-end gap-x-3 pt-1 pr-1 text-xs" role="alert">
              <span className="text-red-700">Not sent. {describeError(item.error)}</span>
              <button type="button" className="font-semibold text-blue-700" onClick={() => onRetry(item.client_id)}>
                Try again
              </button>
              <button
                type="button"
                className="font-semibold text-neutral-700"
                onClick={() => onDiscard(item.client_id)}
              >
                Delete
              </button>
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}
