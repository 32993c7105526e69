import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { startCommentsOnly, withoutStream } from "../helpers/live";
import { readyMedia } from "../helpers/posts";
import { fanOut } from "../helpers/stories";

interface TrayItem {
  user: { username: string };
  has_unseen: boolean;
  latest_at: string;
  story_count: number;
  live: boolean;
}

/** Posts a story and runs its whole fan-out now. */
async function postStory(author: TestUser, body: Record<string, unknown> = {}): Promise<void> {
  const res = await api("POST", "/v1/stories", {
    token: author.accessToken,
    body: { media_id: await readyMedia(author), ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await fanOut(id);
}

async function trayOf(user: TestUser): Promise<TrayItem[]> {
  const res = await api("GET", "/v1/stories/tray", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: TrayItem[] }).items;
}

const summary = (tray: TrayItem[]) => tray.map((e) => [e.user.username, e.live, e.story_count]);

describe("live hosts in the story tray", () => {
  it("flags followed accounts live now, lists live hosts without a story, live entries first after your own", async () => {
    const [ana, ben, cy, dee, eve] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    for (const u of [ben, cy, dee]) await follow(ana, u);
    await postStory(dee);
    await postStory(ben);
    await postStory(ana);
    expect(summary(await trayOf(ana))).toEqual([
      [ana.username, false, 1],
      [ben.username, false, 1],
      [dee.username, false, 1],
    ]);
    await startCommentsOnly(ben);
    const cySession = await startCommentsOnly(cy);
    // Live, but not followed: not in the tray.
    await startCommentsOnly(eve);
    const tray = await trayOf(ana);
    expect(summary(tray)).toEqual([
      [ana.username, false, 1],
      [ben.username, true, 1],
      [cy.username, true, 0],
      [dee.username, false, 1],
    ]);
    expect(tray[2]).toMatchObject({ has_unseen: false });
    expect(tray[2]?.latest_at).toBeTruthy();
    // A session that ends leaves the tray at once.
    expect((await withoutStream("POST", `/v1/live/${cySession.id}/end`, cy)).status).toBe(200);
    expect(summary(await trayOf(ana)).map(([name]) => name)).toEqual([ana.username, ben.username, dee.username]);
    // Your own entry shows your session too.
    await startCommentsOnly(ana);
    expect((await trayOf(ana))[0]).toMatchObject({ user: { username: ana.username }, live: true });
  });

  it("never flags a session the viewer may not see: close friends only, a block, a mute", async () => {
    const [viewer, friendly, blocker, muted, open] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    for (const u of [friendly, blocker, muted, open]) await follow(viewer, u);
    // A close-friends session of a host with a story up: the entry stays, without the flag.
    await postStory(friendly);
    await startCommentsOnly(friendly, { audience: "close_friends" });
    // A block the follow edge outlived (as between a read and a write): no entry.
    await startCommentsOnly(blocker);
    await env.DB.prepare("INSERT INTO blocks (blocker_id, blocked_id, id, created_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(blocker.id, viewer.id, `blk-${viewer.id}`, new Date().toISOString())
      .run();
    await startCommentsOnly(muted);
    expect((await api("POST", `/v1/users/${muted.username}/mute`, { token: viewer.accessToken })).status).toBe(200);
    await startCommentsOnly(open);
    expect(summary(await trayOf(viewer))).toEqual([
      [open.username, true, 0],
      [friendly.username, false, 1],
    ]);
    // On the close-friends list, the viewer sees the flag.
    expect((await api("PUT", `/v1/me/close-friends/${viewer.username}`, { token: friendly.accessToken })).status).toBe(
      200,
    );
    expect(summary(await trayOf(viewer)).find(([name]) => name === friendly.username)).toEqual([
      friendly.username,
      true,
      1,
    ]);
  });
});
