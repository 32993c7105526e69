import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { updateMe, useSession } from "../../api/session";
import { Card, Section } from "../../settings/Section";
import { Switch } from "../../settings/Switch";
import { ErrorMessage } from "../../ui/Feedback";

/** /settings/privacy: the private-account switch, changed at once (and put back if the server refuses). */
export default function PrivacySettings() {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!user) return null;
  const me = user;
  async function toggle() {
    setError(null);
    setBusy(true);
    const next = !me.is_private;
    updateMe({ ...me, is_private: next });
    try {
      updateMe(await data(await api.PATCH("/v1/me", { body: { is_private: next } })));
      // Profiles and lists elsewhere show the old privacy; they refetch in the background.
      void queryClient.invalidateQueries();
    } catch (caught) {
      updateMe(me);
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title="Privacy">
      <Card title="Account privacy">
        <div className="flex items-start justify-between gap-4">
          <div className="space-y-1">
            <p id="private-label" className="font-medium text-neutral-900">
              Private account
            </p>
            <p id="private-help" className="text-sm text-neutral-600">
              {me.is_private
                ? "Only people you approve can see your posts, stories, followers and following. New followers send a request first."
                : "Anyone can see your posts and stories, and anyone can follow you without asking."}
            </p>
          </div>
          <Switch
            on={me.is_private}
            busy={busy}
            labelledBy="private-label"
            describedBy="private-help"
            onToggle={() => void toggle()}
          />
        </div>
        <p className="text-sm text-neutral-600">
          Making your account private does not remove people who already follow you. When you make it public again,
          everyone who asked to follow you becomes a follower.
        </p>
        <ErrorMessage error={error} />
      </Card>
    </Section>
  );
}
