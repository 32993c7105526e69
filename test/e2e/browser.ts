import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";

/** Debian's Chromium (`apt-get install chromium`), or the one CHROMIUM_PATH names. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const appUrl = inject("appUrl");
export const ARTIFACTS = "test-results/e2e";

/**
 * Starts headless Chromium (Playwright gives it a new empty profile) with everything that phones
 * home turned off (background networking, component updates, sync, QUIC): the machines here have
 * no outside network, and a test must not depend on one.
 */
export async function launch(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--metrics-recording-only",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/**
 * One Chromium for a test file: launched before the file's tests (and before its own `beforeAll`,
 * when called at the top), closed after them. Answers a getter for use inside tests and hooks.
 */
export function chromiumPerFile(): () => Browser {
  let running: { browser: Browser; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    running = await launch();
  });
  afterAll(async () => {
    await running?.close();
  });
  return () => {
    if (!running) throw new Error("Chromium is not running: call chromiumPerFile() at the top of the test file");
    return running.browser;
  };
}

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 860 };

let addresses = 0;
/**
 * A client address of its own. The Worker limits sign-ups and sign-ins per address
 * (`cf-connecting-ip`, which a client may name itself under `wrangler dev`); without one, every
 * request of the test run is one address and a file with a few people in it hits the limits.
 */
export function freshAddress(): string {
  addresses += 1;
  return `198.18.${(process.pid + Math.floor(addresses / 250)) % 250}.${addresses % 250}`;
}

/**
 * A new person's own browser window: its own storage (sessions never mix) and its own client
 * address, as a person on their own device has.
 */
export async function newUserPage(
  browser: Browser,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: appUrl,
    viewport,
    extraHTTPHeaders: { "cf-connecting-ip": freshAddress() },
  });
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  return { context, page };
}

/** Saves a screenshot as a test artifact (test-results/e2e/NAME.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

let counter = 0;
/** A username no other test run of this server took. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 30);
}

export const PASSWORD = "correct horse battery staple";

/** Signs up through the screens, then signs in, as a person would; ends on the home feed. */
export async function signUp(page: Page, username: string): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/login\?signed_up=/);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
}

/** Signs an existing account in through the login screen; ends on the home feed. */
export async function signIn(page: Page, username: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home" }).waitFor({ state: "attached" });
}
