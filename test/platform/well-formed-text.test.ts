import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { WELL_FORMED_MESSAGE } from "../../src/http/text";
import { api, expectProblem } from "../helpers/api";
import { history, joinRoom, sendHttp, startConversation } from "../helpers/chat";
import { createUser, uniqueUsername } from "../helpers/factories";
import { publish, readyMedia } from "../helpers/posts";

/**
 * docs/security.md D2: text with half a surrogate pair answers 422 naming the field and stores
 * nothing, on every path that takes people's text. JSON.stringify writes a lone surrogate as the
 * escape `\ud800`, which is what a client can send.
 */
const LONE = ["\uD800", "abc\uDBFFdef", "\uDC00", "x\uDE00\uD83D"];

async function expect422(res: Response, field: string): Promise<void> {
  const problem = await expectProblem(res, 422, "validation_failed");
  expect(problem.errors).toContainEqual({ path: field, message: WELL_FORMED_MESSAGE });
}

const count = async (sql: string, ...binds: string[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n;

describe("text with a lone surrogate", () => {
  it.each(LONE)("answers 422 at sign-up (display name, password) and creates no account: %j", async (bad) => {
    for (const [field, extra] of [
      ["display_name", { display_name: bad }],
      ["password", { password: `correct horse ${bad}` }],
    ] as const) {
      const username = uniqueUsername("lone");
      const res = await api("POST", "/v1/auth/signup", {
        body: { username, email: `${username}@example.com`, password: "correct horse", ...extra },
      });
      await expect422(res, field);
      expect(await count("SELECT COUNT(*) AS n FROM users WHERE username = ?", username)).toBe(0);
    }
  });

  it("answers 422 for a bio or display name and leaves the profile as it was", async () => {
    const user = await createUser();
    for (const bad of LONE) {
      for (const field of ["bio", "display_name"]) {
        await expect422(await api("PATCH", "/v1/me", { token: user.accessToken, body: { [field]: bad } }), field);
      }
    }
    const row = await env.DB.prepare("SELECT bio, display_name FROM users WHERE id = ?")
      .bind(user.id)
      .first<{ bio: string; display_name: string }>();
    expect(row).toEqual({ bio: "", display_name: "" });
    // A real pair (an emoji) is text like any other.
    const ok = await api("PATCH", "/v1/me", { token: user.accessToken, body: { bio: "hi \uD83D\uDE00" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { bio: string }).bio).toBe("hi 😀");
  });

  it("answers 422 for a caption, alt text or location, and for an edited caption; nothing is stored", async () => {
    const author = await createUser();
    for (const bad of LONE) {
      for (const [field, body] of [
        ["caption", { caption: bad }],
        ["alt_texts.0", { alt_texts: [bad] }],
        ["location", { location: bad }],
      ] as const) {
        const res = await api("POST", "/v1/posts", {
          token: author.accessToken,
          body: { media_ids: [await readyMedia(author)], ...body },
        });
        await expect422(res, field);
      }
    }
    expect(await count("SELECT COUNT(*) AS n FROM posts WHERE author_id = ?", author.id)).toBe(0);
    const post = await publish(author, { caption: "before" });
    await expect422(
      await api("PATCH", `/v1/posts/${post.id}`, { token: author.accessToken, body: { caption: "\uD800" } }),
      "caption",
    );
    expect(await count("SELECT COUNT(*) AS n FROM posts WHERE id = ? AND caption = 'before'", post.id)).toBe(1);
  });

  it("answers 422 for a comment and stores none", async () => {
    const author = await createUser();
    const post = await publish(author);
    for (const bad of LONE) {
      const res = await api("POST", `/v1/posts/${post.id}/comments`, {
        token: author.accessToken,
        body: { body: bad },
      });
      await expect422(res, "body");
    }
    expect(await count("SELECT COUNT(*) AS n FROM comments WHERE post_id = ?", post.id)).toBe(0);
    expect(await count("SELECT comment_count AS n FROM posts WHERE id = ?", post.id)).toBe(0);
  });

  it("answers 422 for a message over HTTP, an error frame over a socket, and 422 for a group title; the room stores nothing", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const conversation = await startConversation(alice, [bob]);
    for (const bad of LONE) await expect422(await sendHttp(alice, conversation.id, bad), "body");

    const socket = await joinRoom(alice, conversation.id);
    socket.send({ type: "message", body: "\uD800", client_id: "lone-1" });
    const frames = await socket.until((f) => f.some((x) => x.type === "error"), "an error frame");
    expect(frames.find((f) => f.type === "error")).toMatchObject({
      code: "invalid_message",
      detail: WELL_FORMED_MESSAGE,
      client_id: "lone-1",
    });
    socket.close();
    expect(await history(alice, conversation.id)).toEqual([]);

    const group = await api("POST", "/v1/conversations", {
      token: alice.accessToken,
      body: { usernames: [bob.username, carol.username], title: "\uD800" },
    });
    await expect422(group, "title");
    expect(await count("SELECT COUNT(*) AS n FROM conversations WHERE created_by = ?", alice.id)).toBe(1);
  });

  it("answers 422 for a story caption, a story reply and a highlight title; nothing is stored", async () => {
    const [author, fan] = [await createUser(), await createUser()];
    await expect422(
      await api("POST", "/v1/stories", {
        token: author.accessToken,
        body: { media_id: await readyMedia(author), caption: "\uD800" },
      }),
      "caption",
    );
    expect(await count("SELECT COUNT(*) AS n FROM stories WHERE author_id = ?", author.id)).toBe(0);

    const created = await api("POST", "/v1/stories", {
      token: author.accessToken,
      body: { media_id: await readyMedia(author) },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const story = (await created.json()) as { id: string };
    await expect422(
      await api("POST", `/v1/stories/${story.id}/reply`, { token: fan.accessToken, body: { body: "\uDC00" } }),
      "body",
    );
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM conversation_members WHERE user_id = ? AND conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ?)",
        fan.id,
        author.id,
      ),
    ).toBe(0);
    await expect422(
      await api("POST", "/v1/highlights", {
        token: author.accessToken,
        body: { title: "\uD800", story_ids: [story.id] },
      }),
      "title",
    );
    expect(await count("SELECT COUNT(*) AS n FROM highlights WHERE owner_id = ?", author.id)).toBe(0);
  });
});
