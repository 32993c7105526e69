import { EmptyState } from "../../ui/Feedback";

/** Placeholder until this screen's change lands. */
export default function StoryViewerScreen() {
  return <EmptyState title="Coming soon" />;
}
