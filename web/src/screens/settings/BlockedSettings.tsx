import { api, data } from "../../api/client";
import { Card, Section } from "../../settings/Section";
import { UserList } from "../../settings/UserList";

/** /settings/blocked: accounts you blocked (Unblock) and muted (Unmute). */
export default function BlockedSettings() {
  return (
    <Section title="Blocked and muted">
      <Card title="Blocked accounts">
        <p className="text-sm text-neutral-600">
          You and the people you block can't see each other's profiles, posts or stories, or message each other.
          Unblocking does not bring back follows.
        </p>
        <UserList
          path="/v1/me/blocks"
          label="Blocked accounts"
          actionLabel="Unblock"
          empty="You haven't blocked anyone"
          action={async (name) =>
            data(await api.DELETE("/v1/users/{username}/block", { params: { path: { username: name } } }))
          }
        />
      </Card>
      <Card title="Muted accounts">
        <p className="text-sm text-neutral-600">
          Muted accounts' posts and stories stay out of your feed and story tray. They are not told, and you still
          follow them.
        </p>
        <UserList
          path="/v1/me/mutes"
          label="Muted accounts"
          actionLabel="Unmute"
          empty="You haven't muted anyone"
          action={async (name) =>
            data(await api.DELETE("/v1/users/{username}/mute", { params: { path: { username: name } } }))
          }
        />
      </Card>
    </Section>
  );
}
