import { describe, expect, it } from "vitest";
import { apiFollow, apiPost, apiUser } from "./api";
import { chromiumPerFile, newUserPage, screenshot, signIn, uniqueName } from "./browser";

const browser = chromiumPerFile();

describe("the home feed", () => {
  it("shows followed people's posts with their alt text, and a like that sticks", async () => {
    const author = await apiUser(uniqueName("feedauthor"));
    const reader = await apiUser(uniqueName("feedreader"));
    await apiFollow(reader, author.username);
    await apiPost(author, "Sunset over the #harbour", { alt: "An orange square on a teal field" });
    const { context, page } = await newUserPage(browser());
    await signIn(page, reader.username);
    const image = page.getByRole("img", { name: "An orange square on a teal field" });
    await image.waitFor();
    await expect
      .poll(() =>
        image.evaluate((img) => {
          // The root tsconfig has no DOM types: the element is an <img>.
          const loaded = img as unknown as { complete: boolean; naturalWidth: number };
          return loaded.complete && loaded.naturalWidth > 0;
        }),
      )
      .toBe(true);
    await page.getByRole("button", { name: "Like", exact: true }).click();
    await expect.poll(() => page.getByTestId("like-count").first().textContent()).toBe("1 like");
    await screenshot(page, "feed");
    await page.reload();
    await page.getByRole("button", { name: "Unlike" }).waitFor();
    await context.close();
  });
});
