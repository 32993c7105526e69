import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Request, Response } from "miniflare";
import { defineConfig } from "vitest/config";
import { FAKE_MAIL_HOST, fakeMailApi } from "./test/setup/fake-mail-api.ts";
import { FAKE_AI_HOST, fakeOpenAI } from "./test/setup/fake-openai.ts";
import { fakePushService } from "./test/setup/fake-push-service.ts";
import { FAKE_STREAM_HOST, FAKE_STREAM_TOKEN, fakeStream } from "./test/setup/fake-stream.ts";

/** Secrets for tests only: fixed, long enough, and never the development defaults. */
export const TEST_SECRETS = {
  JWT_KEYS: "test-k2:test-jwt-secret-k2-0123456789abcdefghijkl,test-k1:test-jwt-secret-k1-0123456789abcdefghijkl",
  PASSWORD_PEPPER: "test-password-pepper-0123456789abcdefghij",
  SIGNING_SECRET: "test-signing-secret-0123456789abcdefghijkl",
  // A real P-256 pair (scripts/vapid-keys.mjs --print), used only by the tests.
  VAPID_PUBLIC_KEY: "BDU-Sy6SYWIli9YxfAqlEporN36UZa0P2SA-HDqE96Ger5G8bGJpO8PuGW1WPFfsZDPvnYkMbQlL5Z2LwCU4LHk",
  VAPID_PRIVATE_KEY: "5OwIPRiruItiv9Ijry5MLiH4F0vP3iR6esesu08yAz8",
  // The fake OpenAI-compatible provider (test/setup/fake-openai.ts); short timeout and retries.
  OPENAI_BASE_URL: "https://ai.example.test/v1",
  OPENAI_API_KEY: "sk-test-fake-provider-key",
  OPENAI_TIMEOUT_MS: "1500",
  CAPTIONS_RETRY_SECONDS: "1",
  // The fake Stream API (test/setup/fake-stream.ts) and the webhook destination's secret.
  STREAM_ACCOUNT_ID: "acct-test",
  STREAM_API_TOKEN: FAKE_STREAM_TOKEN,
  STREAM_API_BASE: `https://${FAKE_STREAM_HOST}/client/v4`,
  STREAM_CUSTOMER_HOST: "customer-test.cloudflarestream.com",
  STREAM_WEBHOOK_SECRET: "test-stream-webhook-secret-0123",
  // Mail lands in the development mailbox, which the account tests read at GET /dev/mailbox.
  DEV_MAILBOX: "1",
};

/**
 * Miniflare's `outboundService` for the workers tests: every `fetch` the Worker (and the tests,
 * which share its isolate) makes leaves through here, to the fake provider it is addressed to
 * (the OpenAI-compatible API, the Web Push service, the mail API) or, for anything else, to the network.
 */
function outbound(request: Request): Promise<Response> {
  const host = new URL(request.url).hostname;
  if (host === FAKE_AI_HOST) return fakeOpenAI(request);
  if (host === FAKE_STREAM_HOST) return fakeStream(request);
  if (host === FAKE_MAIL_HOST) return fakeMailApi(request);
  return fakePushService(request);
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          // Most tests: inside workerd, against the real Worker and local bindings.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations },
                // Outbound fetches: the fake OpenAI-compatible provider and Web Push service, else the network.
                outboundService: outbound,
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/http/**", "test/unit/**", "test/e2e/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            globalSetup: ["./test/setup/global-fixtures.ts"],
            // Generous: the suite must pass on a busy 2-core machine (sign-ups hash passwords with
            // 100,000 PBKDF2 rounds; a test making 50 accounts takes seconds when the CPU is shared).
            // A hang still fails, just later.
            testTimeout: 30_000,
          },
        },
        {
          // Pure functions that need Node's clock (ReDoS bounds): no Worker involved.
          test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
        },
        {
          // Real HTTP from Node against `wrangler dev`, where a stream or a byte count matters.
          test: {
            name: "http",
            include: ["test/http/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/http/global-setup.ts"],
            testTimeout: 30_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The web client in Debian's Chromium (Playwright) against the Worker under `wrangler dev`.
          // `npm test` runs this project only when a Chromium is installed (scripts/task.sh).
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/e2e/global-setup.ts"],
            // Real browsers on a shared 2-core machine: generous, and one file at a time.
            testTimeout: 180_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
