import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { type ApiUser, apiCall, apiUser, photo } from "./api";
import { chromiumPerFile, newUserPage, PASSWORD, PHONE, screenshot, signIn, uniqueName } from "./browser";

const browser = chromiumPerFile();

interface MeAnswer {
  display_name: string;
  bio: string;
  is_private: boolean;
  avatar: { thumb: string } | null;
}
const me = (user: ApiUser) => apiCall<MeAnswer>("GET", `/v1/users/${user.username}`, user.token);

/** Opens a settings section through the settings menu, as a person would. */
async function openSection(page: Page, name: string, heading = name): Promise<void> {
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

describe("settings", () => {
  it("edits the profile (name, bio, picture) and the change reaches the server and survives a reload", async () => {
    const user = await apiUser(uniqueName("setprof"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/profile");
    await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
    await page.getByLabel("Bio").fill("Poet of numbers. #analytical");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Your profile is saved.").waitFor();
    await expect.poll(async () => (await me(user)).display_name).toBe("Ada Lovelace");
    expect((await me(user)).bio).toBe("Poet of numbers. #analytical");

    // A picture: uploaded through the media API, processed, then set as the avatar.
    await page.locator('input[type="file"]').setInputFiles({
      name: "me.jpg",
      mimeType: "image/jpeg",
      buffer: await photo(120, 600),
    });
    await page
      .getByRole("img", { name: `${user.username}'s profile picture` })
      .and(page.locator("img"))
      .waitFor({
        timeout: 90_000,
      });
    await expect.poll(async () => (await me(user)).avatar !== null).toBe(true);
    await screenshot(page, "settings-profile");

    await page.reload();
    await expect.poll(() => page.getByLabel("Name", { exact: true }).inputValue()).toBe("Ada Lovelace");
    expect(await page.getByLabel("Bio").inputValue()).toBe("Poet of numbers. #analytical");

    await page.getByRole("button", { name: "Remove photo" }).click();
    await expect.poll(async () => (await me(user)).avatar).toBe(null);
    await context.close();
  });

  it("shows the server's words under the username when the name is taken", async () => {
    const taken = await apiUser(uniqueName("settaken"));
    const user = await apiUser(uniqueName("setname"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/profile");
    const field = page.getByLabel("Username");
    await field.fill(taken.username);
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    const note = await field.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${note}"]`).textContent()).toMatch(/\S/);
    await context.close();
  });

  it("makes the account private and public again", async () => {
    const user = await apiUser(uniqueName("setpriv"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings");
    await openSection(page, "Privacy");
    const toggle = page.getByRole("switch", { name: "Private account" });
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
    await expect.poll(async () => (await me(user)).is_private).toBe(true);
    // The switch waits for the server before it takes another press; then the keyboard works too.
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    await toggle.press("Space");
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("false");
    await expect.poll(async () => (await me(user)).is_private).toBe(false);
    await context.close();
  });

  it("changes a notification setting, and offers push in a browser that has it", async () => {
    const user = await apiUser(uniqueName("setnotif"));
    const { context, page } = await newUserPage(browser());
    await context.grantPermissions(["notifications"]);
    await signIn(page, user.username);
    await page.goto("/settings");
    await openSection(page, "Notifications");
    const likes = page.getByLabel("Likes on your posts");
    await expect.poll(() => likes.inputValue()).toBe("all");
    await likes.selectOption("following");
    await expect
      .poll(async () => (await apiCall<{ like: string }>("GET", "/v1/me/notification-settings", user.token)).like)
      .toBe("following");
    await page.getByLabel("Notifications from strangers").selectOption("filter");
    await expect
      .poll(
        async () => (await apiCall<{ strangers: string }>("GET", "/v1/me/notification-settings", user.token)).strangers,
      )
      .toBe("filter");
    const push = page.getByRole("switch", { name: "Push notifications on this device" });
    await expect.poll(() => push.getAttribute("aria-checked")).toBe("false");
    await push.click();
    // This machine has no way out to a push service: the browser's subscribe fails, and says so.
    await page
      .getByRole("alert")
      .filter({ hasText: /push service|push subscription/ })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, "settings-notifications");
    await context.close();
  });

  it("adds a close friend by username, says so when there is no such account, and removes one", async () => {
    const user = await apiUser(uniqueName("setcf"));
    const friend = await apiUser(uniqueName("setcff"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/close-friends");
    await page.getByText("No close friends yet").waitFor();
    const field = page.getByLabel("Username");
    await field.fill("nobody_by_this_name");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    await field.fill(friend.username);
    await field.press("Enter");
    await page.getByRole("list", { name: "Close friends" }).getByText(friend.username).waitFor();
    await page.getByRole("button", { name: `Remove ${friend.username}` }).click();
    await page.getByText("No close friends yet").waitFor();
    expect((await apiCall<{ items: unknown[] }>("GET", "/v1/me/close-friends", user.token)).items).toEqual([]);
    await context.close();
  });

  it("lists blocked and muted accounts and lifts a block and a mute", async () => {
    const user = await apiUser(uniqueName("setblk"));
    const blocked = await apiUser(uniqueName("setblkd"));
    const muted = await apiUser(uniqueName("setmtd"));
    await apiCall("POST", `/v1/users/${blocked.username}/block`, user.token);
    await apiCall("POST", `/v1/users/${muted.username}/mute`, user.token);
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/blocked");
    await page.getByRole("button", { name: `Unmute ${muted.username}` }).click();
    await page.getByText("You haven't muted anyone").waitFor();
    await page.getByRole("button", { name: `Unblock ${blocked.username}` }).click();
    await page.getByText("You haven't blocked anyone").waitFor();
    const page1 = (path: string) => apiCall<{ items: unknown[] }>("GET", path, user.token);
    expect((await page1("/v1/me/mutes")).items).toEqual([]);
    expect((await page1("/v1/me/blocks")).items).toEqual([]);
    await context.close();
  });

  it("signs another session out; that browser is sent to sign in on its next step", async () => {
    const user = await apiUser(uniqueName("setsess"));
    const first = await newUserPage(browser());
    const second = await newUserPage(browser());
    await signIn(first.page, user.username);
    await signIn(second.page, user.username);
    await second.page.goto("/settings/security");
    await second.page.getByRole("heading", { name: "Password and security" }).waitFor();

    await first.page.goto("/settings/security");
    const sessions = first.page.getByRole("list", { name: "Sessions" });
    await sessions.getByText("This device").waitFor();
    // The account's API session plus the two browsers.
    await expect.poll(() => sessions.getByRole("listitem").count()).toBeGreaterThanOrEqual(3);
    await screenshot(first.page, "settings-security");
    await first.page.getByRole("button", { name: "Sign out of all other sessions" }).click();
    await first.page.getByText("Every other session is signed out.").waitFor();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(1);

    await openSection(second.page, "Blocked and muted");
    await second.page.waitForURL(/\/login/, { timeout: 60_000 });
    await second.page.getByRole("button", { name: "Sign in" }).waitFor();
    // The first browser is still signed in.
    await first.page.reload();
    await first.page.getByRole("heading", { name: "Password and security" }).waitFor();
    await first.context.close();
    await second.context.close();
  });

  it("signs one chosen session out", async () => {
    const user = await apiUser(uniqueName("setone"));
    const first = await newUserPage(browser());
    const second = await newUserPage(browser());
    await signIn(first.page, user.username);
    await signIn(second.page, user.username);
    // The API's sign-in (apiUser) and the two browsers.
    await first.page.goto("/settings/security");
    const sessions = first.page.getByRole("list", { name: "Sessions" });
    await sessions.getByText("This device").waitFor();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(3);
    const others = sessions.getByRole("listitem").filter({ hasNot: first.page.getByText("This device") });
    await others
      .first()
      .getByRole("button", { name: /^Sign out/ })
      .click();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(2);
    await first.context.close();
    await second.context.close();
  });

  it("shows the server's words under the current password when it is wrong", async () => {
    const user = await apiUser(uniqueName("setpwd"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/security");
    const current = page.getByLabel("Current password");
    await current.fill("not my password");
    await page.getByLabel("New password").fill("another good password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => current.getAttribute("aria-invalid")).toBe("true");
    const note = await current.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${note}"]`).textContent()).toContain("password is wrong");
    // Still signed in.
    await page.getByRole("heading", { name: "Password and security" }).waitFor();
    await context.close();
  });

  it("signs out from the settings menu", async () => {
    const user = await apiUser(uniqueName("setout"));
    const { context, page } = await newUserPage(browser(), PHONE);
    await signIn(page, user.username);
    await page.goto("/settings");
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
    await screenshot(page, "settings-phone");
    // On a phone each section is a page of its own, with a way back to the menu.
    await page.getByRole("link", { name: /Password and security/ }).click();
    await page.getByRole("heading", { name: "Password and security", level: 1 }).waitFor();
    await page.getByRole("list", { name: "Sessions" }).getByText("This device").waitFor();
    await screenshot(page, "settings-phone-security");
    await page.getByRole("link", { name: "Settings", exact: true }).first().click();
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    expect(await page.evaluate(() => localStorage.getItem("edgegram.refresh_token"))).toBe(null);
    await page.goto("/settings");
    await page.waitForURL(/\/login/);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await context.close();
  });

  it("deletes the account; signing in again shows the pending deletion, and Restore brings the app back", async () => {
    const user = await apiUser(uniqueName("setdel"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, user.username);
    await page.goto("/settings/data");
    await page.getByRole("heading", { name: "Your data", level: 1 }).waitFor();
    await screenshot(page, "settings-data");
    await page.getByRole("button", { name: "Delete account…" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    // Escape closes it, as any dialog. (A wrong password is not tried here: every password
    // attempt counts against the account's sign-in limit, and this test signs in again below.)
    await dialog.getByLabel("Password").waitFor();
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.getByRole("button", { name: "Delete account…" }).click();
    await dialog.getByLabel("Password").fill(PASSWORD);
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await page.waitForURL(/\/login/);

    await page.getByLabel("Username or email").fill(user.username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: /Your account is scheduled for deletion on / }).waitFor();
    await screenshot(page, "settings-pending-deletion");
    await page.getByRole("button", { name: "Restore my account" }).click();
    await page.getByRole("navigation", { name: "Main" }).first().waitFor({ state: "attached" });
    await page.goto("/settings/profile");
    await page.getByRole("heading", { name: "Edit profile" }).waitFor();
    await context.close();
  });
});
