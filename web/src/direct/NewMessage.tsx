import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, data } from "../api/client";
import { useSubmit } from "../api/forms";
import { ApiProblem } from "../api/problem";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/Feedback";
import { TextField } from "../ui/Field";
import { CONVERSATIONS_KEY, conversationKey } from "./cache";

/** "@alice, bob carol" → ["alice", "bob", "carol"]. */
export const parseUsernames = (text: string): string[] => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((name) => name.replace(/^@/, "").trim())
      .filter((name) => name.length > 0),
  ),
];

const fieldProblem = (status: number, code: string, message: string) =>
  new ApiProblem(status, code, `${message}.`, [{ path: "usernames", message }]);

/**
 * Starts (or finds) a conversation: one name opens the 1:1, several start a group. Each name is
 * looked up first, so a typo is named next to the field instead of failing the whole request.
 */
export function NewMessage({ onClose }: { onClose: () => void }) {
  const [names, setNames] = useState("");
  const [title, setTitle] = useState("");
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const usernames = parseUsernames(names);
  const form = useSubmit(async () => {
    if (usernames.length === 0) throw fieldProblem(422, "validation_failed", "Type at least one username");
    for (const username of usernames) {
      const found = await api.GET("/v1/users/{username}", { params: { path: { username } } });
      if (found.response.status === 404) throw fieldProblem(404, "not_found", `No account is named @${username}`);
      await data(found);
    }
    const group = usernames.length > 1 && title.trim() !== "";
    const conversation = await data(
      await api.POST("/v1/conversations", { body: { usernames, ...(group ? { title: title.trim() } : {}) } }),
    );
    client.setQueryData(conversationKey(conversation.id), conversation);
    void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
    navigate(`/direct/${conversation.id}`);
  });
  return (
    <form
      aria-labelledby="new-message-title"
      onSubmit={(event) => void form.submit(event)}
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose();
      }}
      className="mx-4 mb-4 space-y-3 rounded-xl border border-neutral-200 p-4"
    >
      <h2 id="new-message-title" className="font-semibold">
        New message
      </h2>
      <TextField
        label="To"
        hint="Usernames, separated by commas or spaces"
        value={names}
        onChange={(event) => setNames(event.target.value)}
        error={form.fieldError("usernames")}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        // The panel opens on request, so the first field taking focus is what the person expects.
        autoFocus
      />
      {usernames.length > 1 ? (
        <TextField
          label="Group name (optional)"
          value={title}
          maxLength={64}
          onChange={(event) => setTitle(event.target.value)}
          error={form.fieldError("title")}
        />
      ) : null}
      <ErrorMessage error={form.formError} />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" busy={form.busy}>
          {usernames.length > 1 ? "Start group" : "Chat"}
        </Button>
      </div>
    </form>
  );
}
