import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, apiFollow, apiPost, apiUser } from "./api";
import { apiConversation, apiLike, apiReadNotifications, apiSend } from "./api-chat";
import { chromiumPerFile, newUserPage, PHONE, screenshot, signIn, uniqueName } from "./browser";

const browser = chromiumPerFile();

const LIVE = { timeout: 30_000, interval: 250 };

/** Marks the page's JavaScript world, so a test can tell that no reload happened since. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { e2eMark: string }).e2eMark = "still here";
  });
}
const marked = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { e2eMark?: string }).e2eMark ?? "reloaded");

const texts = (page: Page, testId: string) => page.getByTestId(testId).allTextContents();

describe("notifications and direct messages in real time", () => {
  it("shows a like arriving live: the badge counts it without a reload, the screen lists it", async () => {
    const author = await apiUser(uniqueName("rtauthor"));
    const fan = await apiUser(uniqueName("rtfan"));
    const friend = await apiUser(uniqueName("rtfriend"));
    const postId = await apiPost(author, "Morning light", { alt: "An orange square on a teal field" });
    // Earlier activity, already read, so the screen has more than the one row to show.
    await apiFollow(friend, author.username);
    await apiLike(friend, postId);
    await apiReadNotifications(author, 2);
    const { context, page } = await newUserPage(browser());
    await signIn(page, author.username);
    await page.getByRole("link", { name: "Notifications", exact: true }).waitFor();
    await mark(page);

    // The like joins the post's like group, which becomes the one unread group.
    await apiLike(fan, postId);
    await expect.poll(() => page.getByRole("link", { name: "Notifications 1 unread" }).count(), LIVE).toBe(1);
    expect(await marked(page)).toBe("still here");

    await page.getByRole("link", { name: "Notifications 1 unread" }).click();
    await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
    // Likes of one post group together: the newest liker first.
    const likeRow = page.getByTestId("notification").filter({ hasText: "liked your post" });
    await expect
      .poll(() => likeRow.textContent(), LIVE)
      .toContain(`${fan.username} and ${friend.username} liked your post.`);
    await page.getByTestId("notification").filter({ hasText: "started following you" }).waitFor();
    await page.getByRole("button", { name: `Follow ${friend.username} back` }).waitFor();
    await page.getByRole("link", { name: "Your post" }).first().waitFor();
    // Opening the screen marks everything read: the badge clears.
    await expect.poll(() => page.getByTestId("unread-badge").count(), LIVE).toBe(0);
    await screenshot(page, "notifications");

    // A new one while the screen is open arrives at the top.
    const late = await apiUser(uniqueName("rtlate"));
    await apiFollow(late, author.username);
    await expect.poll(async () => (await texts(page, "notification"))[0] ?? "", LIVE).toContain(late.username);
    expect(await marked(page)).toBe("still here");
    await context.close();
  });

  it("lets two people message each other live: typing, messages both ways, and Seen", async () => {
    const a = await apiUser(uniqueName("rtalice"));
    const b = await apiUser(uniqueName("rtbob"));
    const stranger = await apiUser(uniqueName("rtstranger"));
    await apiFollow(b, a.username);
    // A message request for B: from someone B does not follow.
    const request = await apiConversation(stranger, [b.username]);
    await apiSend(stranger, request.id, "Hi! We met at the harbour photo walk.");
    const other = await apiUser(uniqueName("rtseller"));
    const offer = await apiConversation(other, [b.username]);
    await apiSend(other, offer.id, "Is your bike still for sale?");

    const alice = await newUserPage(browser());
    const bob = await newUserPage(browser());
    await signIn(alice.page, a.username);
    await signIn(bob.page, b.username);

    // A opens the conversation the way a profile's Message button does.
    await alice.page.goto(`/direct?to=${b.username}`);
    await alice.page.waitForURL(/\/direct\/[0-9A-Za-z]+$/);
    await alice.page.getByRole("heading", { name: b.username, level: 1 }).waitFor();
    await bob.page.getByRole("link", { name: "Messages" }).first().click();
    await bob.page.getByRole("heading", { name: "Messages", level: 1 }).waitFor();
    await mark(bob.page);

    const aliceBox = alice.page.getByLabel("Message", { exact: true });
    await aliceBox.fill("Hello from Alice");
    await aliceBox.press("Enter");
    await expect.poll(() => texts(alice.page, "message"), LIVE).toEqual([expect.stringContaining("Hello from Alice")]);
    await expect.poll(() => texts(alice.page, "receipt"), LIVE).toEqual(["Sent"]);

    // B's inbox moves the conversation up with the new message, live.
    const row = bob.page.getByTestId("conversation").filter({ hasText: a.username });
    await expect.poll(() => row.textContent(), LIVE).toContain("Hello from Alice");
    await expect.poll(() => row.textContent(), LIVE).toContain("1 unread message");
    await bob.page.getByRole("button", { name: "Requests (2)" }).waitFor();
    expect(await marked(bob.page)).toBe("still here");
    await screenshot(bob.page, "inbox");

    await row.getByRole("link").click();
    await expect.poll(() => texts(bob.page, "message"), LIVE).toEqual([expect.stringContaining("Hello from Alice")]);
    // B has it on screen: A's message shows as seen.
    await expect.poll(() => texts(alice.page, "receipt"), LIVE).toEqual(["Seen"]);

    const bobBox = bob.page.getByLabel("Message", { exact: true });
    await bobBox.pressSequentially("Hi Alice, good to hear from you", { delay: 40 });
    await expect.poll(() => alice.page.getByTestId("typing").textContent(), LIVE).toBe(`${b.username} is typing…`);
    await bobBox.press("Shift+Enter");
    await bobBox.pressSequentially("How are you?", { delay: 20 });
    await bobBox.press("Enter");
    await expect
      .poll(() => texts(alice.page, "message"), LIVE)
      .toEqual([
        expect.stringContaining("Hello from Alice"),
        expect.stringContaining("Hi Alice, good to hear from you\nHow are you?"),
      ]);
    // Their message ended their typing.
    await expect.poll(() => alice.page.getByTestId("typing").textContent(), LIVE).toBe("");
    await expect.poll(() => texts(bob.page, "receipt"), LIVE).toEqual(["Seen"]);

    await aliceBox.fill("Great! Coffee at 8?");
    await aliceBox.press("Enter");
    await expect.poll(async () => (await texts(bob.page, "message")).at(-1) ?? "", LIVE).toContain("Coffee at 8?");
    await expect.poll(() => texts(alice.page, "receipt"), LIVE).toEqual(["Seen"]);
    await screenshot(alice.page, "conversation");

    // The request: B accepts it and it moves to the inbox.
    await bob.page.getByRole("link", { name: "Back to messages" }).click();
    await bob.page.getByRole("button", { name: "Requests (2)" }).click();
    await bob.page.getByRole("button", { name: `Accept the message request from ${stranger.username}` }).click();
    await bob.page.getByRole("button", { name: "Requests (1)" }).waitFor();
    // The other request is opened first: reading it sends no receipt until B accepts it there.
    await bob.page.getByTestId("conversation").filter({ hasText: "bike" }).getByRole("link").click();
    await bob.page.getByText("wants to send you messages").waitFor();
    await bob.page.getByRole("button", { name: "Accept", exact: true }).click();
    await expect.poll(() => bob.page.getByText("wants to send you messages").count(), LIVE).toBe(0);
    await expect
      .poll(
        async () =>
          (await apiCall<{ unread_count: number }>("GET", `/v1/conversations/${offer.id}`, b.token)).unread_count,
        LIVE,
      )
      .toBe(0);
    await bob.page.getByRole("link", { name: "Back to messages" }).click();
    await bob.page.getByRole("button", { name: "Requests", exact: true }).waitFor();
    // Alice's row shows her latest message, read, even if the server's index lags behind.
    await expect
      .poll(() => bob.page.getByTestId("conversation").filter({ hasText: a.username }).textContent(), LIVE)
      .toContain("Great! Coffee at 8?");
    expect(await bob.page.getByTestId("conversation").filter({ hasText: a.username }).textContent()).not.toContain(
      "unread",
    );
    for (const text of ["harbour photo walk", "bike"]) {
      await bob.page.getByTestId("conversation").filter({ hasText: text }).waitFor();
    }
    expect(await marked(bob.page)).toBe("still here");
    await alice.context.close();
    await bob.context.close();
  });

  it("gets what was sent while the connection was down, after reconnecting, without a reload", async () => {
    const a = await apiUser(uniqueName("rtaway"));
    const b = await apiUser(uniqueName("rtsender"));
    await apiFollow(b, a.username);
    const conversation = await apiConversation(a, [b.username]);
    await apiSend(a, conversation.id, "Are you around later?");
    await apiSend(b, conversation.id, "Yes, after work");

    const { context, page } = await newUserPage(browser(), PHONE);
    await signIn(page, a.username);
    await page.goto(`/direct/${conversation.id}`);
    await expect.poll(() => page.getByTestId("message").count(), LIVE).toBe(2);
    // B's follow is unread: the phone's bell says how many in its name.
    await expect.poll(() => page.getByRole("link", { name: "Notifications, 1 unread" }).count(), LIVE).toBe(1);
    await mark(page);
    // Live first, to know the socket is up.
    await apiSend(b, conversation.id, "I'll call you");
    await expect.poll(async () => (await texts(page, "message")).at(-1) ?? "", LIVE).toContain("I'll call you");

    await context.setOffline(true);
    await expect.poll(() => page.getByText("You're offline").count(), LIVE).toBe(1);
    await apiSend(b, conversation.id, "Sent while you were offline");
    await context.setOffline(false);
    await expect
      .poll(async () => (await texts(page, "message")).at(-1) ?? "", LIVE)
      .toContain("Sent while you were offline");
    expect(await page.getByTestId("message").count()).toBe(4);
    expect(await marked(page)).toBe("still here");

    const box = page.getByLabel("Message", { exact: true });
    await box.fill("Back now, talk soon");
    await box.press("Enter");
    await expect.poll(() => texts(page, "receipt"), LIVE).toEqual([expect.stringMatching(/Sent|Seen/)]);
    await screenshot(page, "conversation-phone");

    // A network that lets HTTP through but never the room's socket (the upgrade goes nowhere):
    // sends fall back to POST …/messages and still arrive.
    await page.routeWebSocket(/\/v1\/conversations\/[^/]+\/ws/, () => {});
    await context.setOffline(true);
    await expect.poll(() => page.getByText("You're offline").count(), LIVE).toBe(1);
    await context.setOffline(false);
    await expect.poll(() => page.getByText("Reconnecting…").count(), LIVE).toBe(1);
    await box.fill("This one went over HTTP");
    await box.press("Enter");
    await expect.poll(async () => (await texts(page, "message")).at(-1) ?? "", LIVE).toContain("went over HTTP");
    await expect.poll(() => texts(page, "receipt"), LIVE).toEqual([expect.stringMatching(/Sent|Seen/)]);
    const stored = await apiCall<{ items: { body: string }[] }>(
      "GET",
      `/v1/conversations/${conversation.id}/messages`,
      b.token,
    );
    expect(stored.items[0]?.body).toBe("This one went over HTTP");
    await context.close();
  });

  it("starts a conversation from New message on a phone, naming a mistyped username next to the field", async () => {
    const a = await apiUser(uniqueName("rtstarter"));
    const b = await apiUser(uniqueName("rtfriendly"));
    await apiFollow(b, a.username);
    const { context, page } = await newUserPage(browser(), PHONE);
    await signIn(page, a.username);
    await page.getByRole("link", { name: "Messages" }).click();
    await page.getByText("No messages yet").waitFor();
    await page.getByRole("button", { name: "New message" }).click();
    const to = page.getByLabel("To");
    await to.fill(`${b.username}x`);
    await page.getByRole("button", { name: "Chat", exact: true }).click();
    await page.getByText(`No account is named @${b.username}x`).waitFor();
    expect(await to.getAttribute("aria-invalid")).toBe("true");
    await to.fill(`@${b.username}`);
    await to.press("Enter");
    await page.waitForURL(/\/direct\/[0-9A-Za-z]+$/);
    const box = page.getByLabel("Message", { exact: true });
    await box.fill("Welcome to Edgegram!");
    await box.press("Enter");
    await expect.poll(() => texts(page, "receipt"), LIVE).toEqual(["Sent"]);
    await page.getByRole("link", { name: "Back to messages" }).click();
    const row = page.getByTestId("conversation").filter({ hasText: b.username });
    await expect.poll(() => row.textContent(), LIVE).toContain("You: Welcome to Edgegram!");
    await screenshot(page, "inbox-phone");

    await page.getByRole("link", { name: "Notifications, 1 unread" }).click();
    await page
      .getByTestId("notification")
      .filter({ hasText: `${b.username} started following you.` })
      .waitFor();
    await expect.poll(() => page.getByRole("link", { name: "Notifications", exact: true }).count(), LIVE).toBe(1);
    await screenshot(page, "notifications-phone");
    await context.close();
  });

  it("pages a long group conversation upwards, oldest messages on request", async () => {
    const a = await apiUser(uniqueName("rtgroupa"));
    const b = await apiUser(uniqueName("rtgroupb"));
    const c = await apiUser(uniqueName("rtgroupc"));
    await apiFollow(b, a.username);
    await apiFollow(c, a.username);
    const conversation = await apiConversation(a, [b.username, c.username]);
    for (let i = 1; i <= 35; i++) await apiSend(i % 3 === 0 ? c : b, conversation.id, `Message ${i}`);
    const { context, page } = await newUserPage(browser());
    await signIn(page, a.username);
    await page.goto(`/direct/${conversation.id}`);
    await expect.poll(() => page.getByTestId("message").count(), LIVE).toBe(30);
    expect((await texts(page, "message")).at(-1)).toContain("Message 35");
    await page.getByRole("button", { name: "Load earlier messages" }).click();
    await expect.poll(() => page.getByTestId("message").count(), LIVE).toBe(35);
    expect((await texts(page, "message"))[0]).toContain("Message 1");
    await expect.poll(() => page.getByRole("button", { name: "Load earlier messages" }).count(), LIVE).toBe(0);
    const box = page.getByLabel("Message", { exact: true });
    await box.fill("Thanks, both of you");
    await box.press("Enter");
    await expect.poll(() => texts(page, "receipt"), LIVE).toEqual(["Sent"]);
    await screenshot(page, "conversation-group");
    await context.close();
  });
});
