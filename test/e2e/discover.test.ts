import type { Page, WebSocketRoute } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiUser, apiFollow, apiPost, apiUser } from "./api";
import {
  apiEndLive,
  apiLiveNow,
  apiLiveStatus,
  apiOpenLive,
  apiPhotoPost,
  apiSearchNames,
  apiTag,
  openAs,
} from "./api-discover";
import { chromiumPerFile, DESKTOP, PHONE, screenshot, uniqueName } from "./browser";

const browser = chromiumPerFile();
/**
 * The people of these tests, made once and shared (fewer signups, a shorter run). `poster` writes the posts searched for and tagged; `reader` searches,
 * follows a tag and explores; `phone` explores on a phone and watches `host`'s live session;
 * `host` and `other` give explore authors besides `poster` (it shows one post per author in six).
 */
let poster: ApiUser;
let reader: ApiUser;
let phone: ApiUser;
let host: ApiUser;
let other: ApiUser;

beforeAll(async () => {
  const made = (prefix: string) => apiUser(uniqueName(prefix));
  [poster, reader, phone, host, other] = await Promise.all([
    made("findme"),
    made("reader"),
    made("phone"),
    made("host"),
    made("other"),
  ]);
}, 120_000);

/** A tag no other test uses: letters and digits (a tag may not be digits alone). */
const uniqueTag = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Waits until an image has really loaded (not just its placeholder). */
async function imageLoaded(page: Page, name: string): Promise<void> {
  const image = page.getByRole("img", { name }).first();
  await image.waitFor();
  await expect
    .poll(
      () =>
        image.evaluate((img) => {
          // The root tsconfig has no DOM types: the element is an <img>. Its fade-in counts too,
          // so a screenshot shows the photo and not the moment it appears.
          const loaded = img as unknown as { complete: boolean; naturalWidth: number };
          const view = globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } };
          return loaded.complete && loaded.naturalWidth > 0 && view.getComputedStyle(img).opacity === "1";
        }),
      { timeout: 30_000 },
    )
    .toBe(true);
}

describe("discovery", () => {
  it("search finds an account and a tag by prefix and opens them", async () => {
    const found = poster;
    const searcher = reader;
    const tag = uniqueTag("srchtag");
    await apiPost(found, `Morning light #${tag}`, { alt: "A yellow square on a purple field" });
    const accountPrefix = found.username.slice(0, -2);
    const tagPrefix = tag.slice(0, -3);
    await expect
      .poll(() => apiSearchNames(searcher, accountPrefix, "accounts"), { timeout: 30_000 })
      .toContain(found.username);
    await expect.poll(() => apiSearchNames(searcher, tagPrefix, "tags"), { timeout: 30_000 }).toContain(tag);

    const { page, close: done } = await openAs(browser(), searcher, "/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
    await page.waitForURL(/\/search/);
    await page.getByRole("heading", { name: "Suggested for you" }).waitFor();
    // With nothing typed: people to follow, each with a follow and a dismiss. Which people depends
    // on every account the browser tests made so far on this server: take the first one.
    const first = page.getByRole("button", { name: /^Dismiss / }).first();
    await first.waitFor();
    const name = (await first.getAttribute("aria-label")) ?? "";
    await screenshot(page, "search-suggestions");
    await first.click();
    await expect.poll(() => page.getByRole("button", { name, exact: true }).count()).toBe(0);
    await page.getByLabel("Search accounts, tags and posts").fill(accountPrefix);
    await page.waitForURL((url) => url.searchParams.get("q") === accountPrefix);
    const account = page.getByRole("link", { name: new RegExp(found.username) });
    await account.waitFor();
    await screenshot(page, "search");
    await page.setViewportSize(PHONE);
    await screenshot(page, "search-phone");
    await page.setViewportSize(DESKTOP);
    await account.click();
    await page.waitForURL(new RegExp(`/u/${found.username}$`));

    await page.goBack();
    await page.waitForURL(/\/search\?q=/);
    const tagsTab = page.getByRole("tab", { name: "Accounts" });
    await tagsTab.waitFor();
    // Arrow keys move between the tabs, as a tab list should.
    await tagsTab.focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => page.getByRole("tab", { name: "Tags" }).getAttribute("aria-selected")).toBe("true");
    await page.getByLabel("Search accounts, tags and posts").fill(`#${tagPrefix}`);
    const tagLink = page.getByRole("link", { name: new RegExp(`#${tag}`) });
    await tagLink.waitFor();
    await tagLink.click();
    await page.waitForURL(new RegExp(`/tags/${tag}$`));
    await page.getByRole("heading", { name: `#${tag}` }).waitFor();
    await done();
  });

  it("a tag page lists its posts and follows and unfollows the tag", async () => {
    const tag = uniqueTag("tagpage");
    await apiPost(poster, `Harbour walk #${tag}`, { alt: "A gold square on a blue harbour" });
    const { page, close: done } = await openAs(browser(), reader, `/tags/${tag}`);
    await page.getByRole("heading", { name: `#${tag}` }).waitFor();
    await expect.poll(() => page.getByTestId("tag-post-count").textContent()).toBe("1 post");
    await imageLoaded(page, "A gold square on a blue harbour");
    await page.getByRole("button", { name: "Follow", exact: true }).click();
    const following = page.getByRole("button", { name: "Following" });
    await following.waitFor();
    await expect.poll(async () => (await apiTag(reader, tag)).following).toBe(true);
    await screenshot(page, "tag");
    await page.setViewportSize(PHONE);
    await screenshot(page, "tag-phone");
    await page.setViewportSize(DESKTOP);
    await page.reload();
    await following.click();
    await page.getByRole("button", { name: "Follow", exact: true }).waitFor();
    await expect.poll(async () => (await apiTag(reader, tag)).following).toBe(false);
    // The grid links to the post.
    await page.getByRole("link", { name: "A gold square on a blue harbour" }).click();
    await page.waitForURL(/\/p\/[0-9A-Za-z]+$/);
    await done();
  });

  it("explore shows a public post from someone the reader does not follow", async () => {
    // Explore shows one post per author in any six, so each post has its own author.
    await Promise.all([
      apiPhotoPost(host, "Fresh bread this morning", "A warm loaf on a teal table", 40),
      apiPhotoPost(other, "Evening walk", "A pink square on a green evening", 140),
    ]);
    const { page, close: done } = await openAs(browser(), reader, "/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Explore" }).click();
    await page.getByRole("heading", { name: "Explore" }).waitFor();
    await imageLoaded(page, "A warm loaf on a teal table");
    await imageLoaded(page, "A pink square on a green evening");
    await screenshot(page, "explore");
    await done();

    // Explore leaves out what it has shown a reader before, so the phone is another reader.
    const onPhone = await openAs(browser(), phone, "/explore", PHONE);
    await imageLoaded(onPhone.page, "A warm loaf on a teal table");
    await screenshot(onPhone.page, "explore-phone");
    await onPhone.close();
  });

  it("live: a host goes live with comments only, a follower joins from the list, both chat live, the host ends it", async () => {
    await apiFollow(phone, host.username);
    const a = await openAs(browser(), host, "/live");
    await a.page.getByRole("heading", { name: "Live", exact: true }).waitFor();
    await a.page.getByLabel("Title").fill("Sunday baking");
    await a.page.getByRole("button", { name: "Go live" }).click();
    await a.page.waitForURL(/\/live\/[0-9A-Za-z]+$/);
    const id = a.page.url().split("/").at(-1) ?? "";
    await a.page.getByRole("heading", { name: "Sunday baking" }).waitFor();
    await expect.poll(() => apiLiveStatus(host, id)).toBe("live");
    await expect.poll(() => apiLiveNow(phone)).toContain(id);

    const b = await openAs(browser(), phone, "/live", PHONE);
    // B's room sockets pass through here, so the test can drop one as a network would.
    const bSockets: WebSocketRoute[] = [];
    await b.page.routeWebSocket(/\/v1\/live\/[^/]+\/ws/, (ws) => {
      bSockets.push(ws);
      ws.connectToServer();
    });
    const entry = b.page.getByRole("link", { name: new RegExp(host.username) });
    await entry.waitFor();
    await screenshot(b.page, "live-list-phone");
    await entry.click();
    await b.page.waitForURL(new RegExp(`/live/${id}$`));
    await b.page.getByRole("heading", { name: "Sunday baking" }).waitFor();

    const aLog = a.page.getByRole("log", { name: "Live comments" });
    const bLog = b.page.getByRole("log", { name: "Live comments" });
    // Each waits for its room before typing, so the test is about delivery, not connecting.
    await expect.poll(() => a.page.getByText("Connecting…").count()).toBe(0);
    await expect.poll(() => b.page.getByText("Connecting…").count()).toBe(0);

    await a.page.getByLabel("Add a comment").fill("Welcome, the oven is hot");
    await a.page.getByLabel("Add a comment").press("Enter");
    await bLog.getByText("Welcome, the oven is hot").waitFor();
    await b.page.getByLabel("Add a comment").fill("Smells great from here");
    await b.page.getByLabel("Add a comment").press("Enter");
    await aLog.getByText("Smells great from here").waitFor();
    await expect.poll(() => bLog.getByText("Smells great from here").count()).toBe(1);
    // The connection drops (not an end): B reconnects with a new ticket and chats on.
    await bSockets[0]?.close({ code: 3001, reason: "network blip" });
    await expect.poll(() => bSockets.length, { timeout: 30_000 }).toBe(2);
    await b.page.getByLabel("Add a comment").fill("Back after a blip");
    await b.page.getByLabel("Add a comment").press("Enter");
    await aLog.getByText("Back after a blip").waitFor();
    await expect.poll(() => bLog.getByText("Welcome, the oven is hot").count()).toBe(1);
    await b.page.getByRole("button", { name: "Send a heart" }).click();
    await expect.poll(() => a.page.getByRole("button", { name: "Send a heart" }).textContent()).toContain("1");
    await expect.poll(() => a.page.getByTestId("viewer-count").textContent(), { timeout: 15_000 }).toBe("2 watching");
    await screenshot(a.page, "live");
    await screenshot(b.page, "live-phone");

    await a.page.getByRole("button", { name: "End live" }).click();
    await a.page.getByRole("button", { name: "End now" }).click();
    await b.page.getByText("This live has ended").waitFor();
    await a.page.getByText("This live has ended").waitFor();
    // The replay keeps both comments after the end.
    await bLog.getByText("Welcome, the oven is hot").waitFor();
    await screenshot(b.page, "live-ended");
    await a.close();
    await b.close();
  });

  it("live with Stream: the host gets the encoder settings, a viewer gets Stream's player (the session's Stream fields stubbed)", async () => {
    // The e2e server has no Stream account, so a real comments-only session is read back with the
    // fields a Stream session has (docs/live.md), as the server would answer them.
    const session = await apiOpenLive(other, "Studio session");
    const uid = "0123456789abcdef0123456789abcdef";
    const stream = {
      ingest: {
        rtmps_url: "rtmps://live.cloudflare.com:443/live/",
        stream_key: "secret-stream-key-123",
        srt_url: "srt://live.cloudflare.com:778",
        srt_stream_id: "srt-id",
        srt_passphrase: "srt-pass",
        whip_url: null,
      },
      playback: {
        hls_url: `https://customer-test.cloudflarestream.com/${uid}/manifest/video.m3u8`,
        dash_url: `https://customer-test.cloudflarestream.com/${uid}/manifest/video.mpd`,
        whep_url: null,
      },
    };
    const a = await openAs(browser(), other, "/live");
    await a.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await a.page.route(`**/v1/live/${session.id}`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), ...stream } });
    });
    await a.page.goto(`/live/${session.id}`);
    await a.page.getByRole("heading", { name: "Connect your streaming software" }).waitFor();
    await a.page.getByText("Keep your stream key secret.").waitFor();
    const key = a.page.getByLabel("Stream key", { exact: true });
    expect(await key.getAttribute("type")).toBe("password");
    expect(await key.inputValue()).toBe("secret-stream-key-123");
    await a.page.getByRole("button", { name: "Copy Stream key" }).click();
    await a.page.getByText("Stream key copied.").waitFor();
    await a.page.getByRole("button", { name: "Show Stream key" }).click();
    expect(await key.getAttribute("type")).toBe("text");
    await a.page.getByText("Waiting for your video…").waitFor();
    await screenshot(a.page, "live-stream-host");
    await a.close();

    const b = await openAs(browser(), reader, "/live");
    await b.page.route(`**/v1/live/${session.id}`, async (route) => {
      await route.fulfill({
        json: { ...session, status: "live", started_at: new Date().toISOString(), ...stream, ingest: null },
      });
    });
    // Stream's player page is not reachable from here (no outside network): only its address matters.
    await b.page.route("https://customer-test.cloudflarestream.com/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<p>player</p>" }),
    );
    await b.page.goto(`/live/${session.id}`);
    const player = b.page.locator("iframe[title='Live video: Studio session']");
    await player.waitFor();
    expect(await player.getAttribute("src")).toBe(
      `https://customer-test.cloudflarestream.com/${uid}/iframe?autoplay=true`,
    );
    await b.close();
    await apiEndLive(other, session.id);
  });
});
