import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { apiFollow, apiPost, apiUser } from "./api";
import { appUrl, chromiumPerFile, newUserPage, PHONE, screenshot, signIn, signUp, uniqueName } from "./browser";

const browser = chromiumPerFile();

describe("the web client's shell", () => {
  it("renders people's text as text, and its CSP refuses any script it did not ship", async () => {
    const author = await apiUser(uniqueName("e2exss"));
    const reader = await apiUser(uniqueName("e2exssr"));
    await apiFollow(reader, author.username);
    const payload = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> #safe`;
    await apiPost(author, payload, { alt: "A photo with a hostile caption" });
    const { context, page } = await newUserPage(browser());
    await signIn(page, reader.username);
    await page.getByRole("img", { name: "A photo with a hostile caption" }).waitFor();
    // The caption shows as the characters typed; no element was made from it, nothing ran.
    await page.getByText('<img src=x onerror="window.pwned=1">', { exact: false }).waitFor();
    expect(await page.locator('article img[src="x"], article script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned ?? null)).toBeNull();
    // A script injected into the page (as an XSS would) is refused by the CSP.
    await expect(page.addScriptTag({ content: "window.pwned = 3" })).rejects.toThrow(/Content Security Policy/);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned ?? null)).toBeNull();
    await context.close();
  });

  it("serves the app at / and any client path, while API paths still reach the Worker", async () => {
    const navigate = { "sec-fetch-mode": "navigate", accept: "text/html" };
    for (const path of ["/", "/u/someone", "/settings/privacy"]) {
      const res = await fetch(`${appUrl}${path}`, { headers: navigate });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    }
    const api = await fetch(`${appUrl}/v1/nope`, { headers: navigate });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
    const docs = await fetch(`${appUrl}/docs`, { headers: navigate });
    expect(await docs.text()).toContain("Edgegram API reference");
  });

  it("loads the first screen with at most 250 KB of JavaScript, gzipped, all from its own origin", async () => {
    const { context, page } = await newUserPage(browser());
    const scripts: { url: string; bytes: number }[] = [];
    const foreign: string[] = [];
    page.on("response", async (response) => {
      const url = response.url();
      if (!url.startsWith(appUrl)) foreign.push(url);
      if (response.request().resourceType() === "script") {
        scripts.push({ url, bytes: gzipSync(await response.body()).length });
      }
    });
    await page.goto("/");
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.waitForLoadState("networkidle");
    const total = scripts.reduce((sum, s) => sum + s.bytes, 0);
    console.warn(`e2e: first screen JavaScript ${(total / 1024).toFixed(1)} KB gzipped in ${scripts.length} files`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(250 * 1024);
    expect(foreign).toEqual([]);
    await context.close();
  });

  it("signs a new person up and in, lands on an empty feed, and signs out", async () => {
    const { context, page } = await newUserPage(browser(), PHONE);
    const name = uniqueName("e2eshell");
    await page.goto("/");
    await page.waitForURL(/\/login/);
    await screenshot(page, "login");
    await signUp(page, name);
    await expect.poll(() => page.getByText("Your feed is empty").count()).toBe(1);
    await screenshot(page, "feed-empty-phone");
    // A reload keeps the session (the refresh token), like a returning visitor.
    await page.reload();
    await page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
    await context.close();
  });

  it("shows the server's words next to the field that caused them", async () => {
    const { context, page } = await newUserPage(browser());
    await page.goto("/signup");
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Username").fill("x");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Sign up" }).click();
    const email = page.getByLabel("Email");
    await expect.poll(() => email.getAttribute("aria-invalid")).toBe("true");
    const described = await email.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(/\S/);
    await screenshot(page, "signup-errors");
    await context.close();
  });
});
