import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { Card, Done, Section } from "../../settings/Section";
import { ownListKey, UserList } from "../../settings/UserList";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";

const PATH = "/v1/me/close-friends";

/** /settings/close-friends: who sees what you share with close friends. */
export default function CloseFriendsSettings() {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  const form = useSubmit(async () => {
    const name = username.trim().replace(/^@/, "");
    if (!name)
      throw new ApiProblem(422, "validation_failed", "Type a username.", [
        { path: "username", message: "Type a username." },
      ]);
    await data(await api.PUT("/v1/me/close-friends/{username}", { params: { path: { username: name } } }));
    setAdded(name);
    setUsername("");
    await queryClient.invalidateQueries({ queryKey: ownListKey(PATH) });
  });
  const problem = form.error instanceof ApiProblem ? form.error : null;
  // The server names no field for an unknown account (404) or yourself (422): it is the username's.
  const usernameWords =
    problem?.status === 404
      ? "There is no account with that username."
      : (form.fieldError("username") ?? (problem?.status === 422 ? problem.message : undefined));
  return (
    <Section
      title="Close friends"
      intro="Only you can see this list. When you share a story or post with close friends, only these people see it, and nobody is told they were added or removed."
    >
      <Card title="Add a close friend">
        <form
          className="flex flex-col gap-3 sm:flex-row sm:items-start"
          noValidate
          onSubmit={(event) => {
            setAdded(null);
            void form.submit(event);
          }}
        >
          <TextField
            label="Username"
            className="flex-1"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            error={usernameWords}
          />
          <Button type="submit" busy={form.busy} className="sm:mt-6">
            Add
          </Button>
        </form>
        {usernameWords ? null : <ErrorMessage error={form.error} />}
        {added ? <Done>{added} is now one of your close friends.</Done> : null}
      </Card>
      <Card title="Your close friends">
        <UserList
          path={PATH}
          label="Close friends"
          actionLabel="Remove"
          empty="No close friends yet"
          emptyHint="Add people above to share some stories with them only."
          action={async (name) =>
            data(await api.DELETE("/v1/me/close-friends/{username}", { params: { path: { username: name } } }))
          }
        />
      </Card>
    </Section>
  );
}
