import type { Schemas } from "../api/client";
import { Avatar } from "../ui/Avatar";

type Conversation = Schemas["Conversation"];
type Person = Schemas["UserSummary"];

/** Everyone in the conversation but you (a 1:1 with oneself never exists; an empty list is a group you are alone in). */
export const othersOf = (conversation: Conversation, meId: string): Person[] =>
  conversation.members.filter((m) => m.id !== meId);

/** What a conversation is called: a group's title, else the other people's names. */
export function conversationName(conversation: Conversation, meId: string): string {
  if (conversation.title) return conversation.title;
  const others = othersOf(conversation, meId);
  if (others.length === 0) return "Just you";
  const names = others.map((p) => p.display_name || p.username);
  if (names.length <= 3) return names.join(", ");
  return `${names.slice(0, 2).join(", ")} and ${names.length - 2} others`;
}

/** One face for a 1:1, two overlapping for a group. Decorative: the name is beside it. */
export function ConversationFaces({ people, size = "md" }: { people: Person[]; size?: "sm" | "md" }) {
  const [first, second] = people;
  if (!first) return <span aria-hidden="true" className="h-11 w-11 shrink-0 rounded-full bg-neutral-200" />;
  if (!second) return <Avatar user={first} size={size} />;
  return (
    <span className={`relative shrink-0 ${size === "md" ? "h-11 w-11" : "h-8 w-8"}`} aria-hidden="true">
      <span className="absolute top-0 left-0 scale-75 origin-top-left">
        <Avatar user={second} size="sm" />
      </span>
      <span className="absolute right-0 bottom-0 scale-75 origin-bottom-right rounded-full ring-2 ring-white">
        <Avatar user={first} size="sm" />
      </span>
    </span>
  );
}
