import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, apiPost, apiUser, photo } from "./api";
import { chromiumPerFile, newUserPage, PHONE, screenshot, signUp, uniqueName } from "./browser";

/**
 * The whole story in one run, through the screens only (no API shortcuts but the private
 * account set up at the end): two people sign up, follow each other, one posts a photo, the other
 * sees it and likes it, the author's badge counts it live, they message both ways, a story is
 * posted and seen, and a private account's post stays hidden from a stranger.
 */
const browser = chromiumPerFile();

const LIVE = { timeout: 30_000, interval: 200 };
const loaded = (image: Locator) =>
  image.evaluate((img) => {
    // The root tsconfig has no DOM types: the element is an <img>.
    const element = img as unknown as { complete: boolean; naturalWidth: number };
    return element.complete && element.naturalWidth > 0;
  });

async function follow(page: Page, username: string) {
  await page.goto(`/u/${username}`);
  await page.getByRole("button", { name: /^Follow( back)?$/ }).click();
  await page.getByRole("button", { name: /^Following/ }).waitFor();
}

async function waitForUploads(page: Page, count: number) {
  const statuses = page.getByTestId("upload-status");
  await expect.poll(() => statuses.count()).toBe(count);
  await expect
    .poll(async () => (await statuses.allTextContents()).every((text) => text === "Ready"), { timeout: 120_000 })
    .toBe(true);
}

describe("two people use Edgegram in their browsers", () => {
  it("sign up, post, see, like, get notified live, message both ways, share a story; a private post stays hidden", async () => {
    const ana = { name: uniqueName("jana"), ...(await newUserPage(browser())) };
    const ben = { name: uniqueName("jben"), ...(await newUserPage(browser(), PHONE)) };
    await signUp(ana.page, ana.name);
    await signUp(ben.page, ben.name);
    await follow(ana.page, ben.name);
    await follow(ben.page, ana.name);

    // Ana posts a photo through the composer.
    await ana.page.goto("/new");
    await ana.page.getByLabel("Choose photos").setInputFiles({
      name: "lighthouse.jpg",
      mimeType: "image/jpeg",
      buffer: await photo(90),
    });
    await waitForUploads(ana.page, 1);
    await ana.page.getByLabel("Alt text for photo 1").fill("A yellow lighthouse lamp against a blue dusk");
    await ana.page.getByLabel("Caption").fill("First light at the point #lighthouse");
    await ana.page.getByRole("button", { name: "Share", exact: true }).click();
    await ana.page.waitForURL(/\/p\/[^/]+$/, { timeout: 60_000 });
    await ana.page.goto("/");
    await ana.page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });

    // Ben sees it in his feed (fan-out runs on a queue: reload until it is there) and likes it.
    const photoInFeed = ben.page.getByRole("img", { name: "A yellow lighthouse lamp against a blue dusk" });
    await expect
      .poll(
        async () => {
          await ben.page.goto("/");
          // Counted once the feed has loaded: the photo, or the empty feed's words.
          await photoInFeed.or(ben.page.getByText("Your feed is empty")).first().waitFor();
          return photoInFeed.count();
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(1);
    await expect.poll(() => loaded(photoInFeed), LIVE).toBe(true);
    await ben.page.getByRole("button", { name: "Like", exact: true }).first().click();
    await expect.poll(() => ben.page.getByTestId("like-count").first().textContent(), LIVE).toBe("1 like");
    await screenshot(ben.page, "journey-feed-phone");

    // Ana, who never reloaded, sees the badge count it; the screen names Ben.
    await expect.poll(() => ana.page.getByTestId("unread-badge").first().textContent(), LIVE).toMatch(/^[12]/);
    await ana.page
      .getByRole("link", { name: /^Notifications/ })
      .first()
      .click();
    await ana.page
      .getByTestId("notification")
      .filter({ hasText: `${ben.name} liked your post` })
      .waitFor({ timeout: 30_000 });

    // They message each other, both ways, live.
    await ana.page.goto(`/u/${ben.name}`);
    await ana.page.getByRole("link", { name: "Message", exact: true }).click();
    await ana.page.waitForURL(/\/direct\/[0-9A-Za-z]+$/);
    const conversation = ana.page.url().replace(/^.*\/direct\//, "");
    const anaBox = ana.page.getByLabel("Message", { exact: true });
    await anaBox.fill("Thanks for the like!");
    await anaBox.press("Enter");
    await ben.page.goto(`/direct/${conversation}`);
    await expect
      .poll(() => ben.page.getByTestId("message").allTextContents(), LIVE)
      .toEqual([expect.stringContaining("Thanks for the like!")]);
    const benBox = ben.page.getByLabel("Message", { exact: true });
    await benBox.fill("Lovely shot. Sunrise tomorrow?");
    await benBox.press("Enter");
    await expect
      .poll(async () => (await ana.page.getByTestId("message").allTextContents()).at(-1) ?? "", LIVE)
      .toContain("Sunrise tomorrow?");
    await screenshot(ana.page, "journey-conversation");

    // Ben shares a story; Ana sees the ring and watches it; Ben's story counts her as a viewer.
    await ben.page.goto("/new?story=1");
    await ben.page.getByLabel("Choose a photo").setInputFiles({
      name: "dawn.jpg",
      mimeType: "image/jpeg",
      buffer: await photo(210, 720),
    });
    await waitForUploads(ben.page, 1);
    await ben.page.getByLabel("Alt text for photo 1").fill("Dawn over the harbour wall");
    await ben.page.getByRole("button", { name: "Share to your story" }).click();
    await ben.page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
    const ring = ana.page.getByRole("link", { name: `${ben.name}'s story, not seen yet` });
    await expect
      .poll(
        async () => {
          // The tray is filled by a queue: reload until Ben's ring shows (the tray renders nothing
          // while it has no one, so wait a little for it on each load).
          await ana.page.goto("/");
          return ring.waitFor({ timeout: 5_000 }).then(
            () => true,
            () => false,
          );
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(true);
    await ring.click();
    await ana.page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => loaded(ana.page.getByRole("img", { name: "Dawn over the harbour wall" })), LIVE).toBe(true);
    await ana.page.keyboard.press("Escape");
    await ana.page.getByRole("link", { name: `${ben.name}'s story`, exact: true }).waitFor(LIVE);

    // A private account's post: a stranger (Ana) sees neither the grid nor the post itself.
    const carla = await apiUser(uniqueName("jcarla"), { private: true });
    const secret = await apiPost(carla, "Only for my followers", { alt: "A private photo" });
    await ana.page.goto(`/u/${carla.username}`);
    await ana.page.getByRole("heading", { name: "This account is private" }).waitFor();
    expect(await ana.page.getByRole("img", { name: "A private photo" }).count()).toBe(0);
    await ana.page.goto(`/p/${secret}`);
    await ana.page.getByRole("heading", { name: "This post isn't available" }).waitFor();
    expect(await ana.page.getByText("Only for my followers").count()).toBe(0);
    const anon = await fetch(`${new URL(ana.page.url()).origin}/v1/posts/${secret}`);
    expect(anon.status).toBe(404);
    await apiCall("GET", `/v1/posts/${secret}`, carla.token);

    await ana.context.close();
    await ben.context.close();
  });
});
