import { EmptyState } from "../../ui/Feedback";

/** Placeholder until this screen's change lands. */
export default function ConversationScreen() {
  return <EmptyState title="Coming soon" />;
}
