import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { history } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { readyMedia } from "../helpers/posts";
import { fanOut } from "../helpers/stories";

interface StoryBody {
  id: string;
  author: { username: string };
  audience: string;
  created_at: string;
  expires_at: string;
  expired: boolean;
  view_count: number | null;
  media: { alt_text: string; urls: { large: string } };
}
interface TrayItem {
  user: { username: string };
  has_unseen: boolean;
  latest_at: string;
  story_count: number;
}

const trayStub = (user: TestUser) => env.STORY_TRAY.get(env.STORY_TRAY.idFromName(user.id));

async function postStory(author: TestUser, body: Record<string, unknown> = {}): Promise<StoryBody> {
  const res = await api("POST", "/v1/stories", {
    token: author.accessToken,
    body: { media_id: await readyMedia(author), ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const story = (await res.json()) as StoryBody;
  await fanOut(story.id);
  return story;
}

async function trayOf(user: TestUser): Promise<TrayItem[]> {
  const res = await api("GET", "/v1/stories/tray", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: TrayItem[] }).items;
}

async function storiesOf(viewer: TestUser | null, owner: TestUser) {
  return api("GET", `/v1/users/${owner.username}/stories`, viewer ? { token: viewer.accessToken } : {});
}

async function visibleIds(viewer: TestUser | null, owner: TestUser): Promise<string[]> {
  const res = await storiesOf(viewer, owner);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: StoryBody[] }).items.map((s) => s.id);
}

const view = (viewer: TestUser, storyId: string) =>
  api("POST", `/v1/stories/${storyId}/view`, { token: viewer.accessToken });

async function closeFriend(owner: TestUser, friend: TestUser) {
  expect((await api("PUT", `/v1/me/close-friends/${friend.username}`, { token: owner.accessToken })).status).toBe(200);
}

/** Moves a story's expiry into the past, in D1 and in every tray row that copies it. */
async function expire(story: StoryBody, trays: TestUser[]) {
  const past = new Date(Date.now() - 1000).toISOString();
  await env.DB.prepare("UPDATE stories SET expires_at = ? WHERE id = ?").bind(past, story.id).run();
  for (const user of trays) {
    await runInDurableObject(trayStub(user), (_, state) => {
      state.storage.sql.exec("UPDATE entries SET expires_at = ? WHERE story_id = ?", past, story.id);
      state.storage.sql.exec("UPDATE seen SET expires_at = ? WHERE story_id = ?", past, story.id);
    });
  }
}

describe("posting stories", () => {
  it("posts a story that lives STORY_TTL_SECONDS, for followers by default", async () => {
    const ana = await createUser();
    const story = await postStory(ana, { caption: "hello" });
    expect(story.audience).toBe("followers");
    expect(Date.parse(story.expires_at) - Date.parse(story.created_at)).toBe(86_400_000);
    expect(story.expired).toBe(false);
    expect(story.view_count).toBe(0);
    expect(story.media.urls.large).toMatch(/\/media\/.+\/large\?exp=\d+&sig=/);
  });

  it("keeps the image's alt text for screen readers, and an empty one when none was given", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const described = await postStory(ana, { caption: "dawn", alt_text: "Blue hills under a pale sun" });
    expect(described.media.alt_text).toBe("Blue hills under a pale sun");
    const read = await api("GET", `/v1/stories/${described.id}`, { token: ben.accessToken });
    expect(((await read.json()) as StoryBody).media.alt_text).toBe("Blue hills under a pale sun");
    expect((await postStory(ana)).media.alt_text).toBe("");
  });

  it("answers 422 for an image that is not the author's, not ready, or already used, and writes nothing", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const bens = await readyMedia(ben);
    const used = await readyMedia(ana);
    const post = (media_id: string) => api("POST", "/v1/stories", { token: ana.accessToken, body: { media_id } });
    expect((await post(used)).status).toBe(201);
    for (const id of [bens, used, "01NOSUCHMEDIA"]) await expectProblem(await post(id), 422, "validation_failed");
    for (const body of [
      { media_id: await readyMedia(ana), audience: "public" },
      { media_id: await readyMedia(ana), caption: "x".repeat(2201) },
      { media_id: await readyMedia(ana), alt_text: "x".repeat(1001) },
      { media_id: await readyMedia(ana), extra: true },
      {},
    ]) {
      await expectProblem(await api("POST", "/v1/stories", { token: ana.accessToken, body }), 422, "validation_failed");
    }
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM stories WHERE author_id = ?").bind(ana.id).first();
    expect(count).toEqual({ n: 1 });
  });

  it("allows 20 live stories at once and answers 409 for the 21st, leaving its image unused", async () => {
    const ana = await createUser();
    const results = await Promise.all(
      Array.from({ length: 22 }, async () =>
        api("POST", "/v1/stories", { token: ana.accessToken, body: { media_id: await readyMedia(ana) } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    for (const r of results.filter((x) => x.status !== 201)) await expectProblem(r, 409, "conflict");
    const unused = await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner_id = ? AND attached_at IS NULL")
      .bind(ana.id)
      .first();
    expect(unused).toEqual({ n: 2 });
  });

  it("lets only the author delete a story, which then leaves trays and the profile", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const story = await postStory(ana);
    await expectProblem(await api("DELETE", `/v1/stories/${story.id}`, { token: ben.accessToken }), 404, "not_found");
    expect((await api("DELETE", `/v1/stories/${story.id}`, { token: ana.accessToken })).status).toBe(204);
    expect(await trayOf(ben)).toEqual([]);
    expect(await visibleIds(ben, ana)).toEqual([]);
    await expectProblem(await view(ben, story.id), 404, "not_found");
    await expectProblem(await api("DELETE", `/v1/stories/${story.id}`, { token: ana.accessToken }), 404, "not_found");
  });
});

describe("the tray", () => {
  it("shows your own entry first, then unseen before seen, then the most recent", async () => {
    const [ana, ben, cy, dee] = [await createUser(), await createUser(), await createUser(), await createUser()];
    for (const other of [ben, cy, dee]) await follow(ana, other);
    const fromBen = await postStory(ben);
    await postStory(cy);
    await postStory(cy);
    const fromDee = await postStory(dee);

    let tray = await trayOf(ana);
    expect(tray.map((e) => [e.user.username, e.has_unseen, e.story_count])).toEqual([
      [dee.username, true, 1],
      [cy.username, true, 2],
      [ben.username, true, 1],
    ]);
    expect(tray[0]?.latest_at).toBe(fromDee.created_at);

    expect((await view(ana, fromDee.id)).status).toBe(204);
    await postStory(ana);
    tray = await trayOf(ana);
    expect(tray.map((e) => [e.user.username, e.has_unseen])).toEqual([
      [ana.username, true],
      [cy.username, true],
      [ben.username, true],
      [dee.username, false],
    ]);
    expect((await view(ana, fromBen.id)).status).toBe(204);
    expect((await trayOf(ana)).map((e) => e.user.username)).toEqual([
      ana.username,
      cy.username,
      dee.username,
      ben.username,
    ]);
  });

  it("adds nothing twice when a fan-out message is delivered again", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const story = await postStory(ana);
    await fanOut(story.id);
    await fanOut(story.id);
    const snapshot = await trayStub(ben).snapshot();
    expect(snapshot.stories.map((s) => s.storyId)).toEqual([story.id]);
    expect((await trayOf(ben))[0]?.story_count).toBe(1);
  });

  it("never sends a close-friends story to a follower outside close friends", async () => {
    const [ana, friend, follower] = [await createUser(), await createUser(), await createUser()];
    await follow(friend, ana);
    await follow(follower, ana);
    await closeFriend(ana, friend);
    const story = await postStory(ana, { audience: "close_friends" });

    expect((await trayStub(follower).snapshot()).stories).toEqual([]);
    expect(await trayOf(follower)).toEqual([]);
    expect(await visibleIds(follower, ana)).toEqual([]);
    await expectProblem(await view(follower, story.id), 404, "not_found");
    await expectProblem(await api("GET", `/v1/stories/${story.id}`, { token: follower.accessToken }), 404, "not_found");

    expect((await trayStub(friend).snapshot()).stories.map((s) => s.storyId)).toEqual([story.id]);
    expect((await trayOf(friend)).map((e) => e.user.username)).toEqual([ana.username]);
    expect(await visibleIds(friend, ana)).toEqual([story.id]);

    // Dropped from the list afterwards: the pushed entry is re-checked and hidden at once.
    expect((await api("DELETE", `/v1/me/close-friends/${friend.username}`, { token: ana.accessToken })).status).toBe(
      200,
    );
    expect(await trayOf(friend)).toEqual([]);
    expect(await visibleIds(friend, ana)).toEqual([]);
  });

  it("hides a story from a viewer blocked after it was posted, and from a viewer who mutes the author", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    await follow(ben, ana);
    await follow(cy, ana);
    const story = await postStory(ana);
    expect((await trayOf(ben)).length).toBe(1);

    expect((await api("POST", `/v1/users/${ben.username}/block`, { token: ana.accessToken })).status).toBe(200);
    expect(await trayOf(ben)).toEqual([]);
    await expectProblem(await storiesOf(ben, ana), 404, "not_found");
    await expectProblem(await view(ben, story.id), 404, "not_found");

    expect((await api("POST", `/v1/users/${ana.username}/mute`, { token: cy.accessToken })).status).toBe(200);
    expect(await trayOf(cy)).toEqual([]);
    // Muting hides the tray entry only; the stories are still there on the profile.
    expect(await visibleIds(cy, ana)).toEqual([story.id]);
  });

  it("pulls the stories of an account above the fan-out threshold at read time", async () => {
    const [star, fan] = [await createUser(), await createUser()];
    await follow(fan, star);
    await env.DB.prepare("UPDATE users SET followers_count = 20000 WHERE id = ?").bind(star.id).run();
    const story = await postStory(star);
    expect((await trayStub(fan).snapshot()).stories).toEqual([]);
    expect((await trayOf(fan)).map((e) => [e.user.username, e.has_unseen])).toEqual([[star.username, true]]);
    expect((await view(fan, story.id)).status).toBe(204);
    expect((await trayOf(fan))[0]?.has_unseen).toBe(false);
  });

  it("keeps a private account's stories to its approved followers", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    await makePrivate(ana);
    await follow(ben, ana);
    expect(
      (await api("POST", `/v1/me/follow-requests/${ben.username}/approve`, { token: ana.accessToken })).status,
    ).toBe(204);
    const story = await postStory(ana);
    expect(await visibleIds(ben, ana)).toEqual([story.id]);
    await expectProblem(await storiesOf(cy, ana), 404, "not_found");
    await expectProblem(await storiesOf(null, ana), 404, "not_found");
    await expectProblem(await view(cy, story.id), 404, "not_found");
  });
});

describe("expiry", () => {
  it("drops expired entries by alarm, hides the story, and keeps it in the archive", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const first = await postStory(ana);
    const second = await postStory(ana);
    expect((await view(ben, first.id)).status).toBe(204);
    // One alarm, set for the earliest expiry.
    const alarm = await runInDurableObject(trayStub(ben), (_, state) => state.storage.getAlarm());
    expect(alarm).toBe(Date.parse(first.expires_at));

    await expire(first, [ben]);
    // Expiry holds at read time, before any alarm has run (docs/security.md A4).
    expect(await visibleIds(ben, ana)).toEqual([second.id]);
    expect((await trayOf(ben))[0]?.story_count).toBe(1);
    await expectProblem(await view(ben, first.id), 404, "not_found");
    expect((await trayStub(ben).snapshot()).stories.map((s) => s.storyId)).toEqual([second.id]);
    expect(await runDurableObjectAlarm(trayStub(ben))).toBe(true);
    const snapshot = await trayStub(ben).snapshot();
    expect(snapshot.stories.map((s) => s.storyId)).toEqual([second.id]);
    expect(snapshot.seen).toEqual([]);
    // Re-armed for the next expiry; running it again early changes nothing.
    expect(await runInDurableObject(trayStub(ben), (_, state) => state.storage.getAlarm())).toBe(
      Date.parse(second.expires_at),
    );
    expect(await runDurableObjectAlarm(trayStub(ben))).toBe(true);
    expect((await trayStub(ben).snapshot()).stories.map((s) => s.storyId)).toEqual([second.id]);

    expect(await visibleIds(ben, ana)).toEqual([second.id]);
    expect((await trayOf(ben))[0]?.story_count).toBe(1);
    await expectProblem(await view(ben, first.id), 404, "not_found");

    const archive = await api("GET", "/v1/me/stories/archive", { token: ana.accessToken });
    const items = ((await archive.json()) as { items: StoryBody[] }).items;
    expect(items.map((s) => [s.id, s.expired])).toEqual([
      [second.id, false],
      [first.id, true],
    ]);
    // The author still reaches the expired story and its viewers.
    const viewers = await api("GET", `/v1/stories/${first.id}/viewers`, { token: ana.accessToken });
    expect(((await viewers.json()) as { view_count: number }).view_count).toBe(1);
  });
});

describe("views", () => {
  it("counts each viewer once under repeated and concurrent views; the author's own views do not count", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const story = await postStory(ana);
    const results = await Promise.all([...Array(6)].map(() => view(ben, story.id)));
    expect(results.every((r) => r.status === 204)).toBe(true);
    expect((await view(ben, story.id)).status).toBe(204);
    expect((await view(cy, story.id)).status).toBe(204);
    expect((await view(ana, story.id)).status).toBe(204);

    const res = await api("GET", `/v1/stories/${story.id}/viewers?limit=1`, { token: ana.accessToken });
    const page = (await res.json()) as { view_count: number; items: { username: string }[]; next_cursor: string };
    expect(page.view_count).toBe(2);
    expect(page.items.map((u) => u.username)).toEqual([cy.username]);
    const next = await api("GET", `/v1/stories/${story.id}/viewers?limit=1&cursor=${page.next_cursor}`, {
      token: ana.accessToken,
    });
    expect(((await next.json()) as { items: { username: string }[] }).items.map((u) => u.username)).toEqual([
      ben.username,
    ]);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM story_views WHERE story_id = ?")
      .bind(story.id)
      .first();
    expect(rows).toEqual({ n: 2 });
    const own = await api("GET", `/v1/stories/${story.id}`, { token: ana.accessToken });
    expect(((await own.json()) as StoryBody).view_count).toBe(2);
    const theirs = await api("GET", `/v1/stories/${story.id}`, { token: ben.accessToken });
    expect(((await theirs.json()) as StoryBody).view_count).toBeNull();
  });

  it("gives viewers image URLs that stop working when the story ends; the author's do not", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const story = await postStory(ana);
    // Ten minutes left: sooner than the URL signing window ends.
    const endsAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 600_000);
    await env.DB.prepare("UPDATE stories SET expires_at = ? WHERE id = ?").bind(endsAt.toISOString(), story.id).run();
    const exp = async (viewer: TestUser) => {
      const res = await api("GET", `/v1/stories/${story.id}`, { token: viewer.accessToken });
      const body = (await res.json()) as StoryBody;
      return Number(new URL(body.media.urls.large).searchParams.get("exp"));
    };
    expect(await exp(ben)).toBe(endsAt.getTime() / 1000);
    expect(await exp(ana)).toBeGreaterThan(endsAt.getTime() / 1000);
  });

  it("shows the viewer list to the author only", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const story = await postStory(ana);
    await expectProblem(
      await api("GET", `/v1/stories/${story.id}/viewers`, { token: ben.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("highlights", () => {
  it("shows archived stories to those the audience allows, and only the owner's own stories go in", async () => {
    const [ana, friend, fan] = [await createUser(), await createUser(), await createUser()];
    await closeFriend(ana, friend);
    const open = await postStory(ana);
    const secret = await postStory(ana, { audience: "close_friends" });
    await expire(open, []);
    const others = await postStory(fan);

    await expectProblem(
      await api("POST", "/v1/highlights", {
        token: ana.accessToken,
        body: { title: "Summer", story_ids: [open.id, others.id] },
      }),
      422,
      "validation_failed",
    );
    const created = await api("POST", "/v1/highlights", {
      token: ana.accessToken,
      body: { title: "Summer", story_ids: [open.id, secret.id] },
    });
    expect(created.status).toBe(201);
    const highlight = (await created.json()) as { id: string; stories: StoryBody[] };
    expect(highlight.stories.map((s) => s.id)).toEqual([open.id, secret.id]);

    const list = async (viewer: TestUser | null) => {
      const res = await api("GET", `/v1/users/${ana.username}/highlights`, viewer ? { token: viewer.accessToken } : {});
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { id: string; stories: StoryBody[] }[] }).items;
    };
    expect((await list(fan))[0]?.stories.map((s) => s.id)).toEqual([open.id]);
    expect((await list(null))[0]?.stories.map((s) => s.id)).toEqual([open.id]);
    expect((await list(friend))[0]?.stories.map((s) => s.id)).toEqual([open.id, secret.id]);

    await expectProblem(
      await api("DELETE", `/v1/highlights/${highlight.id}`, { token: fan.accessToken }),
      404,
      "not_found",
    );
    expect((await api("DELETE", `/v1/highlights/${highlight.id}`, { token: ana.accessToken })).status).toBe(204);
    expect(await list(friend)).toEqual([]);
  });

  it("answers 404 for a private account's highlights to someone who does not follow it", async () => {
    const [ana, eve] = [await createUser(), await createUser()];
    await makePrivate(ana);
    await expectProblem(
      await api("GET", `/v1/users/${ana.username}/highlights`, { token: eve.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("replies", () => {
  it("sends a reply into the 1:1 with the author, referencing the story", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const story = await postStory(ana);
    const res = await api("POST", `/v1/stories/${story.id}/reply`, {
      token: ben.accessToken,
      body: { body: "great shot", client_id: "reply-1" },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const sent = (await res.json()) as { conversation_id: string; message: { story_id: string } };
    expect(sent.message.story_id).toBe(story.id);
    const messages = await history(ana, sent.conversation_id);
    expect(messages.map((m) => [m.body, m.sender])).toEqual([["great shot", ben.id]]);
    expect((messages[0] as unknown as { story_id: string }).story_id).toBe(story.id);

    await expectProblem(
      await api("POST", `/v1/stories/${story.id}/reply`, { token: ana.accessToken, body: { body: "me" } }),
      409,
      "conflict",
    );
    const secret = await postStory(ana, { audience: "close_friends" });
    await expectProblem(
      await api("POST", `/v1/stories/${secret.id}/reply`, { token: ben.accessToken, body: { body: "hm" } }),
      404,
      "not_found",
    );
    await expectProblem(
      await api("POST", `/v1/stories/${story.id}/reply`, { token: ben.accessToken, body: { body: "" } }),
      422,
      "validation_failed",
    );
  });
});
