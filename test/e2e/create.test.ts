import type { BrowserContext, Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiUser, apiCall, apiFollow, apiUser, photo } from "./api";
import { apiStory, apiStoryViewers, apiTray, apiUserStories } from "./api-stories";
import { chromiumPerFile, DESKTOP, newUserPage, PHONE, screenshot, signIn, uniqueName } from "./browser";

const browser = chromiumPerFile();

/**
 * One author and one follower, each signed in once in their own window, for every test here: the
 * server allows 5 sign-ups and 10 logins a minute per address, and the other browser tests need
 * theirs too.
 */
let author: ApiUser;
let follower: ApiUser;
let authorWindow: { context: BrowserContext; page: Page };
let followerWindow: { context: BrowserContext; page: Page };

beforeAll(async () => {
  author = await apiUser(uniqueName("composer"));
  follower = await apiUser(uniqueName("composerfan"));
  await apiFollow(follower, author.username);
  authorWindow = await newUserPage(browser());
  await signIn(authorWindow.page, author.username);
  followerWindow = await newUserPage(browser());
  await signIn(followerWindow.page, follower.username);
});

/** The root tsconfig has no DOM types: these evaluate on an <img> and a <progress>. */
const imageLoaded = (image: Locator) =>
  image.evaluate((img) => {
    const loaded = img as unknown as { complete: boolean; naturalWidth: number };
    return loaded.complete && loaded.naturalWidth > 0;
  });
const progressValue = (bar: Locator) => bar.evaluate((p) => (p as unknown as { value: number }).value);

/** Waits until every picked photo has uploaded and been processed (the status says Ready). */
async function waitUntilReady(page: Page, count: number) {
  const statuses = page.getByTestId("upload-status");
  await expect.poll(() => statuses.count()).toBe(count);
  await expect
    .poll(async () => (await statuses.allTextContents()).every((text) => text === "Ready"), {
      timeout: 120_000,
      interval: 250,
    })
    .toBe(true);
  for (const bar of await page.getByTestId("upload-progress").all()) expect(await progressValue(bar)).toBe(100);
}

describe("creating posts and stories", () => {
  it("uploads photos through the composer, orders and describes them, and publishes a post followers see", async () => {
    const { page } = authorWindow;
    await page.setViewportSize(DESKTOP);
    await page.goto("/");
    await page.getByRole("link", { name: "New post" }).click();
    await page.getByRole("heading", { name: "New post" }).waitFor();
    await page.getByLabel("Choose photos").setInputFiles([
      { name: "harbour.jpg", mimeType: "image/jpeg", buffer: await photo(30) },
      { name: "boats.jpg", mimeType: "image/jpeg", buffer: await photo(120) },
    ]);
    await expect
      .poll(() => imageLoaded(page.getByRole("img", { name: "Preview of photo 2" })), { timeout: 30_000 })
      .toBe(true);
    await waitUntilReady(page, 2);
    // This server has no AI provider: the suggestions are gone without a word (503 `unavailable`).
    await expect.poll(() => page.getByRole("button", { name: /Suggest alt text/ }).count()).toBe(0);
    expect(await page.getByText(/suggest/i).count()).toBe(0);

    // The second photo goes first, by keyboard: the button keeps focus after the move.
    await page.getByRole("button", { name: "Move photo 2 earlier" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("composer-image").first().textContent()).toContain("boats.jpg");
    await page.getByLabel("Alt text for photo 1").fill("A yellow square on a purple field");
    await page.getByLabel("Alt text for photo 2").fill("A yellow square on a green field");
    await page.getByLabel("Caption").fill("Harbour lights #evening");
    await expect.poll(() => page.getByText("23 / 2,200 characters").count()).toBe(1);
    await page.getByLabel("Location").fill("Lisbon");
    await page.getByRole("heading", { name: "New post" }).scrollIntoViewIfNeeded();
    await screenshot(page, "composer");

    await page.getByRole("button", { name: "Share", exact: true }).click();
    await page.waitForURL(/\/p\/[^/]+$/, { timeout: 60_000 });
    const id = new URL(page.url()).pathname.split("/").pop() ?? "";
    const post = await apiCall<{ caption: string; location: string; media: { alt_text: string }[] }>(
      "GET",
      `/v1/posts/${id}`,
      author.token,
    );
    expect(post.caption).toBe("Harbour lights #evening");
    expect(post.location).toBe("Lisbon");
    expect(post.media.map((m) => m.alt_text)).toEqual([
      "A yellow square on a purple field",
      "A yellow square on a green field",
    ]);

    const reader = followerWindow.page;
    await reader.goto("/");
    const image = reader.getByRole("img", { name: "A yellow square on a purple field" });
    await image.waitFor({ timeout: 60_000 });
    await expect.poll(() => imageLoaded(image), { timeout: 30_000 }).toBe(true);
  });

  it("takes dropped files, and shows the server's words beside a file it refuses", async () => {
    const { page } = authorWindow;
    await page.setViewportSize(PHONE);
    await page.goto("/new");
    // A file dragged from the desktop: a DataTransfer made in the page (Playwright cannot drag
    // from outside the browser), holding a GIF, which the server does not take (415).
    const files = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["GIF89a"], "animation.gif", { type: "image/gif" }));
      return transfer;
    })()`);
    await page.getByTestId("drop-zone").dispatchEvent("dragover", { dataTransfer: files });
    await page.getByTestId("drop-zone").dispatchEvent("drop", { dataTransfer: files });
    const card = page.getByTestId("composer-image");
    await expect
      .poll(() => card.getByRole("alert").textContent(), { timeout: 30_000 })
      .toMatch(/content_type must be one of/);
    expect(await card.getByTestId("upload-status").textContent()).toBe("Upload failed");
    expect(await page.getByRole("button", { name: "Share", exact: true }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Remove photo 1" }).click();
    await expect.poll(() => card.count()).toBe(0);
  });

  it("offers AI suggestions, where the server has a provider, as buttons that fill the caption and alt text", async () => {
    const { page } = authorWindow;
    await page.setViewportSize(PHONE);
    // The server here has no AI provider (the composer then hides suggestions, as the other tests
    // see); this browser gets a provider's answers instead: pending once, then ready.
    const pending = {
      status: "pending",
      suggestions: [],
      alt_text: null,
      model: null,
      generated_at: null,
      options: { tone: "casual", language: "en", hint: "" },
      usage: null,
    };
    const ready = {
      ...pending,
      status: "ready",
      suggestions: [
        { caption: "Golden hour.", hashtags: ["sunset"] },
        { caption: "A square of sun on a quiet field.", hashtags: [] },
        { caption: "Some days the light does all the work for you.", hashtags: ["light", "calm"] },
      ],
      alt_text: "A yellow square on a green field",
      model: "fake-model",
      generated_at: new Date().toISOString(),
      usage: { input_tokens: 10, output_tokens: 20 },
    };
    let polls = 0;
    await page.route("**/v1/media/*/caption-suggestions", (route) => {
      if (route.request().method() === "POST") return route.fulfill({ status: 202, json: pending });
      polls += 1;
      return route.fulfill({ status: 200, json: polls > 1 ? ready : pending });
    });
    await page.goto("/new");
    await page.getByLabel("Choose photos").setInputFiles({
      name: "field.jpg",
      mimeType: "image/jpeg",
      buffer: await photo(30),
    });
    await waitUntilReady(page, 1);
    await page.getByRole("button", { name: "Use caption: Golden hour. #sunset" }).click({ timeout: 30_000 });
    expect(await page.getByLabel("Caption").inputValue()).toBe("Golden hour. #sunset");
    await page.getByRole("button", { name: /Use suggested alt text/ }).click();
    expect(await page.getByLabel("Alt text for photo 1").inputValue()).toBe("A yellow square on a green field");
    await page.unrouteAll();
  });

  it("posts a story from the composer; a follower sees the ring, views it (seen) and replies; the owner sees who viewed it and deletes it", async () => {
    const owner = author;
    // The follower has a story of their own: first in their tray, before the owner's.
    await apiStory(follower, "My own day");

    // The owner, on a phone, shares a story through the composer's story mode.
    const own = authorWindow;
    await own.page.setViewportSize(PHONE);
    await own.page.goto("/");
    await own.page.getByRole("link", { name: "New post" }).click();
    await own.page.getByRole("button", { name: "Story", exact: true }).click();
    await own.page.getByRole("heading", { name: "New story" }).waitFor();
    await own.page.getByLabel("Choose a photo").setInputFiles({
      name: "sunrise.jpg",
      mimeType: "image/jpeg",
      buffer: await photo(300, 720),
    });
    await waitUntilReady(own.page, 1);
    await own.page.getByLabel("Caption").fill("Good morning");
    await own.page.getByLabel("Alt text for photo 1").fill("A bright square on a dusky field at sunrise");
    await screenshot(own.page, "composer-phone");
    await own.page.getByRole("button", { name: "Share to your story" }).click();
    await own.page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
    await own.page.getByRole("link", { name: "Your story" }).waitFor();
    const [story] = await apiUserStories(owner, owner.username);
    expect(story?.caption).toBe("Good morning");
    expect(story?.media.alt_text).toBe("A bright square on a dusky field at sunrise");
    const storyId = story?.id ?? "";
    await apiStory(owner, "And a second one");

    // The follower's tray has the owner, unseen (the tray is filled by a queue: wait for it).
    await expect
      .poll(async () => (await apiTray(follower)).some((e) => e.user.username === owner.username && e.has_unseen), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(true);
    const fan = followerWindow;
    await fan.page.goto("/");
    const ring = fan.page.getByRole("link", { name: `${owner.username}'s story, not seen yet` });
    await ring.waitFor();
    await expect
      .poll(() => fan.page.getByRole("status").filter({ hasText: "Loading your feed" }).count(), { timeout: 30_000 })
      .toBe(0);
    // The feed's photos (the first test's post) have loaded, so the picture is the finished page.
    for (const photoInFeed of await fan.page.getByTestId("feed").getByRole("img").all()) {
      await expect.poll(() => imageLoaded(photoInFeed), { timeout: 30_000 }).toBe(true);
    }
    await screenshot(fan.page, "stories-tray");
    // Their own story first; when it ends, the viewer moves on by itself to the next account in
    // the tray, the owner's.
    await fan.page.getByRole("link", { name: /^Your story/ }).click();
    await fan.page.waitForURL(new RegExp(`/stories/${follower.username}$`));
    await fan.page.getByText("My own day").waitFor();
    await fan.page.waitForURL(new RegExp(`/stories/${owner.username}$`), { timeout: 30_000 });
    // Paused before the image is even shown, so the 5 s clock cannot move on while the test looks.
    await fan.page.getByRole("button", { name: "Pause" }).click();
    await fan.page.getByRole("button", { name: "Play" }).waitFor();
    // The story's own alt text (given in the composer), not a stand-in.
    const image = fan.page.getByRole("img", { name: "A bright square on a dusky field at sunrise" });
    await expect.poll(() => imageLoaded(image), { timeout: 30_000 }).toBe(true);
    await screenshot(fan.page, "story-viewer");
    await expect
      .poll(() => apiStoryViewers(owner, storyId), { timeout: 30_000, interval: 500 })
      .toContain(follower.username);

    await fan.page.getByLabel(`Reply to ${owner.username}`).fill("Lovely light!");
    await fan.page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => fan.page.getByRole("status").filter({ hasText: "Reply sent" }).count()).toBe(1);
    // The arrow key moves to the next story; played again, the last one moves on by itself and,
    // with no account after it, goes home, where the tray shows the owner's stories seen.
    await fan.page.keyboard.press("ArrowRight");
    await fan.page.getByText("Story 2 of 2").waitFor({ state: "attached" });
    await fan.page.getByText("And a second one").waitFor();
    await fan.page.getByRole("button", { name: "Play" }).click();
    await fan.page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached", timeout: 30_000 });
    await fan.page.getByRole("link", { name: `${owner.username}'s story`, exact: true }).waitFor();

    // The owner sees who viewed it, in the viewer on the phone.
    await own.page.getByRole("link", { name: "Your story" }).click();
    await own.page.getByRole("button", { name: "Pause" }).click();
    await expect
      .poll(() => imageLoaded(own.page.getByRole("img", { name: "A bright square on a dusky field at sunrise" })), {
        timeout: 30_000,
      })
      .toBe(true);
    await screenshot(own.page, "story-viewer-phone");
    await own.page.getByRole("button", { name: /^Viewers/ }).click();
    const viewers = own.page.getByRole("dialog", { name: /Viewers/ });
    await viewers.getByText(follower.username).waitFor();
    // Escape closes the list; the owner deletes this story (after a confirmation), and the other
    // one stays; Escape then closes the viewer.
    await own.page.keyboard.press("Escape");
    await expect.poll(() => viewers.count()).toBe(0);
    await own.page.getByRole("button", { name: "Delete story" }).click();
    await own.page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
    await own.page.getByText("Story 1 of 1").waitFor({ state: "attached" });
    expect((await apiUserStories(owner, owner.username)).map((s) => s.caption)).toEqual(["And a second one"]);
    await own.page.keyboard.press("Escape");
    await own.page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
  });
});
