import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, apiPost, apiUser } from "./api";
import { apiCarouselPost } from "./api-posts";
import { chromiumPerFile, newUserPage, PHONE, screenshot, signIn, uniqueName } from "./browser";

const browser = chromiumPerFile();

/** Waits until an image has really loaded (not only been put in the page). */
async function loaded(page: Page, name: string): Promise<void> {
  const image = page.getByRole("img", { name }).first();
  await image.waitFor();
  await expect
    .poll(
      () =>
        image.evaluate((img) => {
          // The root tsconfig has no DOM types: the element is an <img>.
          const element = img as unknown as { complete: boolean; naturalWidth: number };
          return element.complete && element.naturalWidth > 0;
        }),
      { timeout: 30_000 },
    )
    .toBe(true);
}

describe("profiles and posts", () => {
  it("keeps a private account's post from a stranger until the owner approves their follow request", async () => {
    const owner = await apiUser(uniqueName("privowner"), { private: true });
    await apiCall("PATCH", "/v1/me", owner.token, { display_name: "Priya Owner", bio: "Harbour walks and #sunsets" });
    const postId = await apiPost(owner, "Morning at the #harbour", { alt: "Boats moored at a quiet harbour" });
    const stranger = await apiUser(uniqueName("stranger"));

    const visitor = await newUserPage(browser());
    const page = visitor.page;
    await signIn(page, stranger.username);
    await page.goto(`/u/${owner.username}`);
    await page.getByRole("heading", { name: owner.username, level: 1 }).waitFor();
    await page.getByRole("heading", { name: "This account is private" }).waitFor();
    expect(await page.getByTestId("post-grid").count()).toBe(0);
    expect(await page.getByRole("img", { name: "Boats moored at a quiet harbour" }).count()).toBe(0);
    await screenshot(page, "profile-private");

    // The post's own address tells a stranger nothing either: it looks like a post that isn't there.
    await page.goto(`/p/${postId}`);
    await page.getByRole("heading", { name: "This post isn't available" }).waitFor();
    expect(await page.getByRole("img", { name: "Boats moored at a quiet harbour" }).count()).toBe(0);

    await page.goto(`/u/${owner.username}`);
    await page.getByRole("button", { name: "Follow", exact: true }).click();
    await page.getByRole("button", { name: /^Requested to follow/ }).waitFor();
    expect(await page.getByRole("button", { name: /^Requested/ }).textContent()).toBe("Requested");

    // The owner sees the request from their profile and approves it.
    const ownerWindow = await newUserPage(browser());
    await signIn(ownerWindow.page, owner.username);
    await ownerWindow.page.goto(`/u/${owner.username}`);
    await ownerWindow.page.getByRole("link", { name: "Follow requests" }).click();
    await ownerWindow.page.getByRole("heading", { name: "Follow requests" }).waitFor();
    await ownerWindow.page.getByRole("link", { name: stranger.username }).waitFor();
    await screenshot(ownerWindow.page, "follow-requests");
    await ownerWindow.page.getByRole("button", { name: `Approve ${stranger.username}` }).click();
    await ownerWindow.page.getByText("Approved").waitFor();
    await ownerWindow.context.close();

    await page.reload();
    await loaded(page, "Boats moored at a quiet harbour");
    await page.getByRole("button", { name: /^Following/ }).waitFor();
    await screenshot(page, "profile");
    await page.setViewportSize(PHONE);
    await loaded(page, "Boats moored at a quiet harbour");
    await screenshot(page, "profile-phone");
    await page.getByRole("link", { name: "Boats moored at a quiet harbour" }).click();
    await page.waitForURL(new RegExp(`/p/${postId}$`));
    await page.getByRole("heading", { name: `Post by ${owner.username}` }).waitFor({ state: "attached" });
    await visitor.context.close();
  });

  it("comments on a post and replies to the comment, and lists both", async () => {
    const author = await apiUser(uniqueName("postauthor"));
    const postId = await apiCarouselPost(author, "Lunch by the #river with @friends", [
      "A picnic blanket by a river",
      "Sandwiches on a wooden board",
    ]);
    const reader = await apiUser(uniqueName("commenter"));
    await apiCall("POST", `/v1/posts/${postId}/like`, author.token);

    const { context, page } = await newUserPage(browser());
    await signIn(page, reader.username);
    await page.goto(`/p/${postId}`);
    await loaded(page, "A picnic blanket by a river");
    await page.getByText("No comments yet").waitFor();

    // The photos move with the arrow keys once the carousel has focus.
    await page.getByRole("region", { name: /^Photos by/ }).focus();
    await page.keyboard.press("ArrowRight");
    await loaded(page, "Sandwiches on a wooden board");
    await page.getByText("Photo 2 of 2").waitFor({ state: "attached" });
    await page.keyboard.press("ArrowLeft");
    await loaded(page, "A picnic blanket by a river");

    await page.getByLabel("Add a comment").fill("What a lovely spot!");
    await page.getByRole("button", { name: "Post", exact: true }).click();
    const comments = page.getByTestId("comments");
    await comments.getByText("What a lovely spot!").waitFor();

    await page
      .getByRole("button", { name: `Reply to ${reader.username}` })
      .first()
      .click();
    await page.getByText(`Replying to @${reader.username}`).waitFor();
    const box = page.getByRole("textbox", { name: `Reply to ${reader.username}` });
    await expect
      .poll(() =>
        box.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement),
      )
      .toBe(true);
    await box.fill("And the light was perfect");
    await box.press("Enter");
    const replies = page.getByRole("list", { name: `Replies to ${reader.username}` });
    await replies.getByText("And the light was perfect").waitFor();

    // Both are there for the next visitor too, read back from the server.
    const live = new Promise<void>((resolve) => {
      page.on("websocket", (socket) => {
        if (!socket.url().includes("/comments/live")) return;
        socket.on("framereceived", (frame) => {
          if (String(frame.payload).includes('"type":"ready"')) resolve();
        });
      });
    });
    await page.reload();
    await comments.getByText("What a lovely spot!").waitFor();
    await page.getByRole("button", { name: "View 1 reply" }).click();
    await replies.getByText("And the light was perfect").waitFor();

    // The like count opens who liked it, in a dialog that Escape closes.
    await page.getByRole("button", { name: "1 like" }).click();
    const likes = page.getByRole("dialog", { name: "Likes" });
    await likes.getByRole("link", { name: author.username }).waitFor();
    await page.keyboard.press("Escape");
    await expect.poll(() => likes.count()).toBe(0);

    // Someone else's comment shows up while the page is open, over the post's live socket.
    await live;
    await apiCall("POST", `/v1/posts/${postId}/comments`, author.token, { body: "Glad you like it!" });
    await comments.getByText("Glad you like it!").waitFor();
    await page.evaluate("window.scrollTo(0, 0)");
    await screenshot(page, "post");
    await context.close();
  });

  it("rolls a failed like back and says so in plain words", async () => {
    const author = await apiUser(uniqueName("likeauthor"));
    const postId = await apiPost(author, "A #bridge at dusk", { alt: "A bridge lit up at dusk" });
    const reader = await apiUser(uniqueName("liker"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, reader.username);
    await page.goto(`/p/${postId}`);
    await loaded(page, "A bridge lit up at dusk");
    await expect.poll(() => page.getByTestId("like-count").textContent()).toBe("0 likes");

    let failed = 0;
    await page.route(
      "**/v1/posts/*/like",
      async (route) => {
        failed += 1;
        // A deliberately slow failure, so the optimistic count is there to be seen before it rolls back.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await route.fulfill({
          status: 500,
          contentType: "application/problem+json",
          body: JSON.stringify({
            type: "about:blank",
            title: "Internal server error",
            status: 500,
            detail: "Internal server error",
            code: "internal_error",
            request_id: "e2e",
          }),
        });
      },
      { times: 1 },
    );
    await page.getByRole("button", { name: "Like", exact: true }).click();
    await expect.poll(() => page.getByTestId("like-count").textContent()).toBe("1 like");
    await page.getByRole("alert").filter({ hasText: "Couldn't like the post" }).waitFor();
    await expect.poll(() => page.getByTestId("like-count").textContent()).toBe("0 likes");
    expect(failed).toBe(1);
    await page.getByRole("button", { name: "Like", exact: true }).waitFor();

    // The next try reaches the real server and sticks.
    await page.getByRole("button", { name: "Like", exact: true }).click();
    await page.getByRole("button", { name: "Unlike" }).waitFor();
    await expect.poll(() => page.getByTestId("like-count").textContent()).toBe("1 like");
    await context.close();
  });

  it("lets the author edit the caption, remove a comment and delete the post", async () => {
    const author = await apiUser(uniqueName("editor"));
    const postId = await apiPost(author, "First try at a caption", { alt: "A lighthouse on a cliff" });
    const visitor = await apiUser(uniqueName("visitor"));
    await apiCall("POST", `/v1/posts/${postId}/comments`, visitor.token, { body: "Rude remark" });
    const { context, page } = await newUserPage(browser());
    await signIn(page, author.username);
    await page.goto(`/p/${postId}`);
    await page.getByText("Rude remark").waitFor();

    await page.getByRole("button", { name: "More options for this post" }).click();
    await page.getByRole("dialog", { name: "Post options" }).getByRole("button", { name: "Edit caption" }).click();
    const caption = page.getByLabel("Caption");
    await caption.fill("The #lighthouse at dawn");
    await page.getByRole("button", { name: "Save caption" }).click();
    await page.getByRole("link", { name: "#lighthouse" }).waitFor();

    // The post's author may remove anyone's comment on it.
    await page.getByRole("button", { name: `Delete ${visitor.username}'s comment` }).click();
    await expect.poll(() => page.getByText("Rude remark").count()).toBe(0);

    await page.getByRole("button", { name: "More options for this post" }).click();
    await page.getByRole("button", { name: "Delete post" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this post?" });
    await confirm.getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForURL(new RegExp(`/u/${author.username}$`));
    await page.getByText("Share your first photo").waitFor();
    await page.goto(`/p/${postId}`);
    await page.getByRole("heading", { name: "This post isn't available" }).waitFor();
    await context.close();
  });

  it("reports a post with a reason, and blocks and unblocks its author from their profile", async () => {
    const author = await apiUser(uniqueName("reported"));
    const postId = await apiPost(author, "Buy followers cheap", { alt: "A banner full of prices" });
    const reader = await apiUser(uniqueName("reporter"));
    const { context, page } = await newUserPage(browser());
    await signIn(page, reader.username);
    await page.goto(`/p/${postId}`);
    await page.getByRole("button", { name: "More options for this post" }).click();
    await page.getByRole("button", { name: "Report post" }).click();
    const report = page.getByRole("dialog", { name: "Report post" });
    await report.getByLabel("Why are you reporting this?").selectOption("spam");
    await report.getByRole("button", { name: "Send report" }).click();
    await report.getByText("Thanks for telling us").waitFor();
    await report.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => report.count()).toBe(0);

    await page.goto(`/u/${author.username}`);
    await page.getByRole("button", { name: `More options for ${author.username}` }).click();
    await page.getByRole("dialog", { name: author.username }).getByRole("button", { name: "Block" }).click();
    await page.getByRole("heading", { name: `You blocked ${author.username}` }).waitFor();
    await page.getByRole("button", { name: `Unblock ${author.username}` }).click();
    await page.getByRole("button", { name: "Follow", exact: true }).waitFor();
    await context.close();
  });
});
