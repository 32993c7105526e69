import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiFollow, apiPost, apiUser } from "./api";
import { chromiumPerFile, newUserPage, PHONE, signIn, uniqueName } from "./browser";

/**
 * Every main screen checked by axe-core (the accessibility engine browsers' audits use) against
 * WCAG 2.1 A and AA: colour contrast, names of controls and images, labels, landmarks, ARIA use.
 * A violation fails the test with axe's own words, the rule and the elements.
 */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function violations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the app's CSP (rightly) refuses an injected <script>.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations;
  });
  return found.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const browser = chromiumPerFile();

describe("accessibility (axe-core, WCAG 2.1 AA)", () => {
  it("finds nothing on the signed-out screens", async () => {
    const { context, page } = await newUserPage(browser());
    for (const path of ["/login", "/signup", "/reset-password"]) {
      await page.goto(path);
      await page.getByRole("heading", { level: 1 }).waitFor();
      expect(await violations(page), path).toEqual([]);
    }
    await context.close();
  });

  it("finds nothing on the main signed-in screens, on a desktop and on a phone", async () => {
    const author = await apiUser(uniqueName("a11yauthor"));
    const reader = await apiUser(uniqueName("a11yreader"));
    await apiFollow(reader, author.username);
    const post = await apiPost(author, "Checking contrast by the #sea", { alt: "A yellow square on a blue field" });
    const problems: string[] = [];
    for (const viewport of [undefined, PHONE]) {
      const { context, page } = await newUserPage(browser(), viewport);
      await signIn(page, reader.username);
      const screens: [string, () => Promise<void>][] = [
        ["/", () => page.getByRole("img", { name: "A yellow square on a blue field" }).waitFor()],
        [`/p/${post}`, () => page.getByText("Checking contrast by the").first().waitFor()],
        [`/u/${author.username}`, () => page.getByRole("img", { name: "A yellow square on a blue field" }).waitFor()],
        ["/notifications", () => page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor()],
        ["/direct", () => page.getByRole("heading", { name: "Messages", level: 1 }).waitFor()],
        [`/direct?to=${author.username}`, () => page.getByLabel("Message", { exact: true }).waitFor()],
        [`/stories/${reader.username}`, () => page.getByRole("heading", { level: 1 }).first().waitFor()],
        ["/search", () => page.getByRole("heading", { level: 1 }).waitFor()],
        ["/explore", () => page.getByRole("heading", { level: 1 }).waitFor()],
        ["/tags/sea", () => page.getByRole("heading", { level: 1 }).waitFor()],
        ["/live", () => page.getByRole("heading", { level: 1 }).waitFor()],
        ["/new", () => page.getByRole("heading", { name: "New post" }).waitFor()],
        ["/settings/profile", () => page.getByRole("heading", { level: 1 }).first().waitFor()],
        ["/settings/security", () => page.getByRole("heading", { level: 1 }).first().waitFor()],
        ["/settings/notifications", () => page.getByRole("heading", { level: 1 }).first().waitFor()],
        ["/settings/data", () => page.getByRole("heading", { level: 1 }).first().waitFor()],
      ];
      for (const [path, ready] of screens) {
        await page.goto(path);
        await ready();
        await page.waitForLoadState("networkidle");
        for (const found of await violations(page))
          problems.push(`${path} at ${viewport ? "360" : "1280"} px: ${found}`);
      }
      await context.close();
    }
    // Every screen's findings at once, so one run shows all there is to mend.
    expect(problems).toEqual([]);
  });
});
