import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { notify } from "../../src/features/notifications/notifications.service";
import { platformFor } from "../../src/platform";
import { api } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { startCommentsOnly } from "../helpers/live";
import { hideBioForTest, hideForTest, restoreForTest, suspendForTest, unsuspendForTest } from "../helpers/moderation";
import { type GroupBody, groupsOf, settle, unreadOf } from "../helpers/notifications";
import { type PostBody, publish, readyMedia } from "../helpers/posts";
import { fanOut } from "../helpers/stories";

/*
 * Moderation on every read surface (docs/moderation.md): content a viewer (a follower) sees goes
 * away for them the moment it is hidden or its author suspended, and comes back when that is
 * undone; the author still sees hidden content, marked, on its single read and in their grid.
 */

type Moderation = { hidden: true; reason: string } | null;

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

const get = (path: string, user?: TestUser) => api("GET", path, user ? { token: user.accessToken } : {});

/** A single read: true on 200, false on 404 (anything else fails the test). */
async function readable(path: string, user: TestUser): Promise<boolean> {
  const res = await get(path, user);
  expect([200, 404], `${path}: ${await res.clone().text()}`).toContain(res.status);
  return res.status === 200;
}

/** Whether a list (`{ items }`) holds an item whose `key` is `id`. */
async function listed(path: string, user: TestUser, id: string, key = (item: Record<string, unknown>) => item.id) {
  const body = await json<{ items: Record<string, unknown>[] }>(await get(path, user));
  return body.items.some((item) => key(item) === id);
}

const word = () => `w${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

async function postStory(author: TestUser): Promise<{ id: string }> {
  const res = await api("POST", "/v1/stories", {
    token: author.accessToken,
    body: { media_id: await readyMedia(author) },
  });
  const story = await json<{ id: string }>(res, 201);
  await fanOut(story.id);
  return story;
}

async function comment(user: TestUser, postId: string, body: string, replyTo?: string): Promise<{ id: string }> {
  const res = await api("POST", `/v1/posts/${postId}/comments`, {
    token: user.accessToken,
    body: replyTo === undefined ? { body } : { body, reply_to: replyTo },
  });
  return json<{ id: string }>(res, 201);
}

/**
 * Whether the recipient's notifications list a group `match`es; the unread count agrees (the
 * recipient has that one group and nothing else, all unread).
 */
async function listedAndCounted(recipient: TestUser, match: (g: GroupBody) => boolean): Promise<boolean> {
  const { items } = await groupsOf(recipient);
  const present = items.some(match);
  expect(items.length).toBe(present ? 1 : 0);
  expect(await unreadOf(recipient)).toBe(present ? 1 : 0);
  return present;
}

/** An author and a follower of theirs. */
async function pair() {
  const author = await createUser();
  const viewer = await createUser();
  await follow(viewer, author);
  return { author, viewer };
}

interface Case {
  viewer: TestUser;
  /** Does the viewer see the thing now? */
  shown: () => Promise<boolean>;
  moderate: () => Promise<void>;
  undo: () => Promise<void>;
  /** The moderation had a lasting effect the undo does not reverse (a suspension ends a live session). */
  staysGone?: true;
  /** While moderated: what the author must still see (hidden content only). */
  authorStillSees?: () => Promise<void>;
}

/** Hide / restore one post, the author checking their single read and grid. */
function hidingPost(author: TestUser, post: PostBody) {
  return {
    moderate: () => hideForTest("post", post.id, "spam"),
    undo: () => restoreForTest("post", post.id),
    authorStillSees: async () => {
      const single = await json<{ moderation: Moderation }>(await get(`/v1/posts/${post.id}`, author));
      expect(single.moderation).toEqual({ hidden: true, reason: "spam" });
      const grid = await json<{ items: { id: string; moderation: Moderation }[] }>(
        await get(`/v1/users/${author.username}/posts`, author),
      );
      expect(grid.items.find((p) => p.id === post.id)?.moderation).toEqual({ hidden: true, reason: "spam" });
    },
  };
}

const suspending = (user: TestUser) => ({
  moderate: () => suspendForTest(user.id),
  undo: () => unsuspendForTest(user.id),
});

const surfaces: [string, () => Promise<Case>][] = [
  [
    "single post (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      return { viewer, shown: () => readable(`/v1/posts/${post.id}`, viewer), ...hidingPost(author, post) };
    },
  ],
  [
    "single post (author suspended)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      return { viewer, shown: () => readable(`/v1/posts/${post.id}`, viewer), ...suspending(author) };
    },
  ],
  [
    "profile grid (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      return {
        viewer,
        shown: () => listed(`/v1/users/${author.username}/posts`, viewer, post.id),
        ...hidingPost(author, post),
      };
    },
  ],
  [
    "home feed, KV-cached page 1 re-checked (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      // Read first, so page 1 is cached in KV; the next read must re-check the cached ids in D1.
      return { viewer, shown: () => listed("/v1/feed", viewer, post.id), ...hidingPost(author, post) };
    },
  ],
  [
    "home feed (author suspended)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      return { viewer, shown: () => listed("/v1/feed", viewer, post.id), ...suspending(author) };
    },
  ],
  [
    "home feed, the author's own hidden post",
    async () => {
      const author = await createUser();
      const post = await publish(author);
      return {
        viewer: author,
        shown: () => listed("/v1/feed", author, post.id),
        moderate: () => hideForTest("post", post.id, "spam"),
        undo: () => restoreForTest("post", post.id),
      };
    },
  ],
  [
    "ranked feed (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      return { viewer, shown: () => listed("/v1/feed?mode=ranked", viewer, post.id), ...hidingPost(author, post) };
    },
  ],
  [
    "hashtag page (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const tag = word();
      const post = await publish(author, { caption: `#${tag}` });
      return { viewer, shown: () => listed(`/v1/tags/${tag}/posts`, viewer, post.id), ...hidingPost(author, post) };
    },
  ],
  [
    "hashtag page (author suspended)",
    async () => {
      const { author, viewer } = await pair();
      const tag = word();
      const post = await publish(author, { caption: `#${tag}` });
      return { viewer, shown: () => listed(`/v1/tags/${tag}/posts`, viewer, post.id), ...suspending(author) };
    },
  ],
  [
    "search posts (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const q = word();
      const post = await publish(author, { caption: `about ${q}` });
      return {
        viewer,
        shown: () => listed(`/v1/search?type=posts&q=${q}`, viewer, post.id),
        ...hidingPost(author, post),
      };
    },
  ],
  [
    "search accounts (suspended)",
    async () => {
      const { author, viewer } = await pair();
      return {
        viewer,
        shown: () => listed(`/v1/search?type=accounts&q=${author.username}`, viewer, author.id),
        ...suspending(author),
      };
    },
  ],
  [
    "explore (hidden)",
    async () => {
      // Explore shows accounts the viewer does not follow, once each (a post it showed is marked
      // seen): each look is by a new viewer whom a followed tag brings the post to.
      const author = await createUser();
      const tag = word();
      const post = await publish(author, { caption: `#${tag}` });
      const freshViewer = async () => {
        const viewer = await createUser();
        await env.DB.prepare("INSERT INTO tag_follows (user_id, tag, id, created_at) VALUES (?1, ?2, ?3, ?4)")
          .bind(viewer.id, tag, crypto.randomUUID(), new Date().toISOString())
          .run();
        return viewer;
      };
      return {
        viewer: await freshViewer(),
        shown: async () => listed("/v1/explore?limit=50", await freshViewer(), post.id),
        ...hidingPost(author, post),
      };
    },
  ],
  [
    "story read and tray (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const story = await postStory(author);
      const inTray = () => listed("/v1/stories/tray", viewer, author.id, (e) => (e.user as { id: string }).id);
      return {
        viewer,
        shown: async () => {
          const read = await readable(`/v1/stories/${story.id}`, viewer);
          expect(await inTray()).toBe(read);
          expect(await listed(`/v1/users/${author.username}/stories`, viewer, story.id)).toBe(read);
          return read;
        },
        moderate: () => hideForTest("story", story.id, "nudity"),
        undo: () => restoreForTest("story", story.id),
        authorStillSees: async () => {
          const own = await json<{ moderation: Moderation }>(await get(`/v1/stories/${story.id}`, author));
          expect(own.moderation).toEqual({ hidden: true, reason: "nudity" });
        },
      };
    },
  ],
  [
    "story read and tray (author suspended)",
    async () => {
      const { author, viewer } = await pair();
      const story = await postStory(author);
      return {
        viewer,
        shown: async () => {
          const read = await readable(`/v1/stories/${story.id}`, viewer);
          const inTray = await listed("/v1/stories/tray", viewer, author.id, (e) => (e.user as { id: string }).id);
          expect(inTray).toBe(read);
          return read;
        },
        ...suspending(author),
      };
    },
  ],
  [
    "comments list (hidden comment)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      const commenter = await createUser();
      const comment = await json<{ id: string; moderation: Moderation }>(
        await api("POST", `/v1/posts/${post.id}/comments`, { token: commenter.accessToken, body: { body: "hi" } }),
        201,
      );
      expect(comment.moderation).toBeNull();
      const inList = async (user: TestUser) => listed(`/v1/posts/${post.id}/comments`, user, comment.id);
      return {
        viewer,
        shown: () => inList(viewer),
        moderate: () => hideForTest("comment", comment.id, "abuse"),
        undo: () => restoreForTest("comment", comment.id),
        // A list: the hidden comment is gone for its author too.
        authorStillSees: async () => expect(await inList(commenter)).toBe(false),
      };
    },
  ],
  [
    "comments list (commenter suspended)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      const commenter = await createUser();
      const comment = await json<{ id: string }>(
        await api("POST", `/v1/posts/${post.id}/comments`, { token: commenter.accessToken, body: { body: "hi" } }),
        201,
      );
      return {
        viewer,
        shown: () => listed(`/v1/posts/${post.id}/comments`, viewer, comment.id),
        ...suspending(commenter),
      };
    },
  ],
  [
    "notifications: a like on a post that is then hidden",
    async () => {
      const author = await createUser();
      const fan = await createUser();
      const post = await publish(author);
      expect((await api("POST", `/v1/posts/${post.id}/like`, { token: fan.accessToken })).status).toBe(200);
      await settle(fan);
      return {
        // The recipient is the post's author: the list leaves it out for them too.
        viewer: author,
        shown: () => listedAndCounted(author, (g) => g.type === "like" && g.post?.id === post.id),
        moderate: () => hideForTest("post", post.id, "spam"),
        undo: () => restoreForTest("post", post.id),
      };
    },
  ],
  [
    "notifications: a follow from an account that is then suspended",
    async () => {
      const { author: followed, viewer: follower } = await pair();
      await settle(follower);
      return {
        viewer: followed,
        shown: () =>
          listedAndCounted(followed, (g) => g.type === "follow" && g.actors.some((a) => a.id === follower.id)),
        ...suspending(follower),
      };
    },
  ],
  [
    "profile by username (suspended)",
    async () => {
      const { author, viewer } = await pair();
      return { viewer, shown: () => readable(`/v1/users/${author.username}`, viewer), ...suspending(author) };
    },
  ],
  [
    "followers list (a suspended follower)",
    async () => {
      const { author, viewer: follower } = await pair();
      const viewer = await createUser();
      return {
        viewer,
        shown: () => listed(`/v1/users/${author.username}/followers`, viewer, follower.id),
        ...suspending(follower),
      };
    },
  ],
  [
    "live sessions: list and single read (host suspended)",
    async () => {
      const { author: host, viewer } = await pair();
      const session = await startCommentsOnly(host, { title: "hello" });
      return {
        viewer,
        shown: async () => {
          // Shown = readable and listed as live now; whatever is unreadable is never listed.
          const read = await readable(`/v1/live/${session.id}`, viewer);
          const live = await listed("/v1/live", viewer, session.id);
          if (!read) expect(live).toBe(false);
          return read && live;
        },
        ...suspending(host),
        // A suspension ends the host's session for good (docs/moderation.md, "Suspension").
        staysGone: true,
      };
    },
  ],
  [
    "replies list (hidden reply)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      const top = await comment(author, post.id, "first");
      const replier = await createUser();
      const reply = await comment(replier, post.id, "a reply", top.id);
      return {
        viewer,
        shown: () => listed(`/v1/posts/${post.id}/comments?reply_to=${top.id}`, viewer, reply.id),
        moderate: () => hideForTest("comment", reply.id, "abuse"),
        undo: () => restoreForTest("comment", reply.id),
      };
    },
  ],
  [
    "notifications: a comment that is then hidden",
    async () => {
      const author = await createUser();
      const commenter = await createUser();
      const post = await publish(author);
      const made = await comment(commenter, post.id, "nice");
      await settle(commenter);
      return {
        viewer: author,
        shown: () => listedAndCounted(author, (g) => g.comment?.id === made.id),
        moderate: () => hideForTest("comment", made.id, "abuse"),
        undo: () => restoreForTest("comment", made.id),
      };
    },
  ],
  [
    "likers list (a suspended liker)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      const liker = await createUser();
      expect((await api("POST", `/v1/posts/${post.id}/like`, { token: liker.accessToken })).status).toBe(200);
      return { viewer, shown: () => listed(`/v1/posts/${post.id}/likes`, viewer, liker.id), ...suspending(liker) };
    },
  ],
  [
    "saved list (hidden)",
    async () => {
      const { author, viewer } = await pair();
      const post = await publish(author);
      expect((await api("POST", `/v1/posts/${post.id}/save`, { token: viewer.accessToken })).status).toBe(200);
      return { viewer, shown: () => listed("/v1/me/saved", viewer, post.id), ...hidingPost(author, post) };
    },
  ],
  [
    "following list (a suspended followee)",
    async () => {
      const { author: followee, viewer: follower } = await pair();
      const viewer = await createUser();
      return {
        viewer,
        shown: () => listed(`/v1/users/${follower.username}/following`, viewer, followee.id),
        ...suspending(followee),
      };
    },
  ],
  [
    "suggestions (a suspended friend of a friend)",
    async () => {
      const { author: friend, viewer } = await pair();
      const candidate = await createUser();
      await follow(friend, candidate);
      return {
        viewer,
        shown: () => listed("/v1/me/suggestions?limit=30", viewer, candidate.id),
        ...suspending(candidate),
      };
    },
  ],
  [
    "highlights (hidden story)",
    async () => {
      const { author, viewer } = await pair();
      const story = await postStory(author);
      await json(
        await api("POST", "/v1/highlights", {
          token: author.accessToken,
          body: { title: "trip", story_ids: [story.id] },
        }),
        201,
      );
      const holds = async (user: TestUser) => {
        const body = await json<{ items: { stories: { id: string }[] }[] }>(
          await get(`/v1/users/${author.username}/highlights`, user),
        );
        return body.items.some((h) => h.stories.some((st) => st.id === story.id));
      };
      return {
        viewer,
        shown: () => holds(viewer),
        moderate: () => hideForTest("story", story.id, "nudity"),
        undo: () => restoreForTest("story", story.id),
        // A list: left out for the author too.
        authorStillSees: async () => expect(await holds(author)).toBe(false),
      };
    },
  ],
  [
    "story viewers list (a suspended viewer)",
    async () => {
      const { author, viewer: fan } = await pair();
      const story = await postStory(author);
      expect((await api("POST", `/v1/stories/${story.id}/view`, { token: fan.accessToken })).status).toBe(204);
      return {
        viewer: author,
        shown: () => listed(`/v1/stories/${story.id}/viewers`, author, fan.id),
        ...suspending(fan),
      };
    },
  ],
];

describe("moderation on every read surface", () => {
  it.each(surfaces)("%s", async (_name, setup) => {
    const c = await setup();
    expect(await c.shown(), "visible before").toBe(true);
    await c.moderate();
    expect(await c.shown(), "gone once moderated").toBe(false);
    await c.authorStillSees?.();
    await c.undo();
    expect(await c.shown(), "back once undone").toBe(c.staysGone !== true);
  });

  it("shows a hidden bio as empty to others, never to its owner", async () => {
    const { author, viewer } = await pair();
    expect((await api("PATCH", "/v1/me", { token: author.accessToken, body: { bio: "spam links" } })).status).toBe(200);
    await hideBioForTest(author.id);
    expect((await json<{ bio: string }>(await get(`/v1/users/${author.username}`, viewer))).bio).toBe("");
    expect((await json<{ bio: string }>(await get(`/v1/users/${author.username}`, author))).bio).toBe("spam links");
    await hideBioForTest(author.id, false);
    expect((await json<{ bio: string }>(await get(`/v1/users/${author.username}`, viewer))).bio).toBe("spam links");
  });

  it("lets staff read a hidden post, marked, and nobody else but its author", async () => {
    const { author, viewer } = await pair();
    const post = await publish(author);
    expect((await json<{ moderation: Moderation }>(await get(`/v1/posts/${post.id}`, viewer))).moderation).toBeNull();
    await hideForTest("post", post.id, "spam");
    const moderator = await createUser();
    await env.DB.prepare("UPDATE users SET role = 'moderator' WHERE id = ?1").bind(moderator.id).run();
    // A new session carries the new role (a token's role must match the account's).
    const session = await json<{ access_token: string }>(
      await api("POST", "/v1/auth/login", { body: { login: moderator.username, password: moderator.password } }),
    );
    const staff = { ...moderator, accessToken: session.access_token };
    const read = await json<{ moderation: Moderation }>(await get(`/v1/posts/${post.id}`, staff));
    expect(read.moderation).toEqual({ hidden: true, reason: "spam" });
    expect(await readable(`/v1/posts/${post.id}`, viewer)).toBe(false);
    expect((await get(`/v1/posts/${post.id}`)).status).toBe(404);
    // Lists leave it out for staff too.
    expect(await listed(`/v1/users/${author.username}/posts`, staff, post.id)).toBe(false);
  });

  it("refuses a reply to a hidden comment, and leaves suspended accounts out of a post's mentions", async () => {
    const { author, viewer } = await pair();
    const mentioned = await createUser();
    const post = await publish(author, { caption: `hi @${mentioned.username}` });
    const top = await comment(author, post.id, "first");
    await hideForTest("comment", top.id, "abuse");
    const refused = await api("POST", `/v1/posts/${post.id}/comments`, {
      token: viewer.accessToken,
      body: { body: "re", reply_to: top.id },
    });
    expect(refused.status).toBe(422);
    const mentions = async () =>
      (await json<{ mentions: string[] }>(await get(`/v1/posts/${post.id}`, viewer))).mentions;
    expect(await mentions()).toEqual([mentioned.username]);
    await suspendForTest(mentioned.id);
    expect(await mentions()).toEqual([]);
    await unsuspendForTest(mentioned.id);
    expect(await mentions()).toEqual([mentioned.username]);
  });

  it("a moderation notice about a hidden post reaches its author, though the post is out of every list", async () => {
    const author = await createUser();
    const fan = await createUser();
    const post = await publish(author);
    expect((await api("POST", `/v1/posts/${post.id}/like`, { token: fan.accessToken })).status).toBe(200);
    await hideForTest("post", post.id, "spam");
    await notify(platformFor(env), {
      kind: "direct",
      type: "moderation",
      recipient_id: author.id,
      actor_id: null,
      post_id: post.id,
      source_id: `hide-${post.id}`,
      text: "Your post was hidden: spam",
      at: new Date().toISOString(),
    });
    // The like is delivered while the post is hidden: stored for its author, not listed.
    await settle(fan);
    const types = async () => (await groupsOf(author)).items.map((g) => g.type);
    expect(await types()).toEqual(["moderation"]);
    expect(await unreadOf(author)).toBe(1);
    await restoreForTest("post", post.id);
    expect((await types()).sort()).toEqual(["like", "moderation"]);
  });

  it("pages past what moderation leaves out: every other item once, in order, then the end", async () => {
    const { author, viewer } = await pair();
    const posts = [await publish(author), await publish(author), await publish(author), await publish(author)];
    await hideForTest("post", (posts[1] as PostBody).id, "spam");
    await hideForTest("post", (posts[2] as PostBody).id, "spam");
    const commenters = [await createUser(), await createUser(), await createUser()];
    const target = posts[0] as PostBody;
    const comments = [];
    for (const c of commenters) comments.push(await comment(c, target.id, "hi"));
    await hideForTest("comment", (comments[1] as { id: string }).id, "abuse");
    const followers = [await createUser(), await createUser(), await createUser()];
    for (const f of followers) await follow(f, author);
    await suspendForTest((followers[1] as TestUser).id);

    /** Every id of a list, read one item a page. */
    async function all(path: string, key = (item: Record<string, unknown>) => item.id) {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const sep = path.includes("?") ? "&" : "?";
        const query: string = cursor === null ? `${sep}limit=1` : `${sep}limit=1&cursor=${encodeURIComponent(cursor)}`;
        const body: { items: Record<string, unknown>[]; next_cursor: string | null } = await json(
          await get(`${path}${query}`, viewer),
        );
        seen.push(...body.items.map(key));
        cursor = body.next_cursor;
        if (cursor === null) return seen;
      }
      throw new Error(`${path} did not end`);
    }
    const newestFirst = [posts[3], posts[0]].map((p) => (p as PostBody).id);
    expect(await all(`/v1/users/${author.username}/posts`)).toEqual(newestFirst);
    expect(await all("/v1/feed")).toEqual(newestFirst);
    expect(await all(`/v1/posts/${target.id}/comments`)).toEqual([comments[0]?.id, comments[2]?.id]);
    expect(await all(`/v1/users/${author.username}/followers`)).toEqual(
      [followers[2], followers[0], viewer].map((u) => (u as TestUser).id),
    );
  });
});
