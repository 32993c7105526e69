import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { pruneAccountMail, sendStoredMail } from "../../src/features/account/mail.service";
import { platformFor } from "../../src/platform";
import { ConfigError, parseConfig } from "../../src/platform/config";
import { type Mailer, MailSendError, mailerFor } from "../../src/platform/mail";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { mailbox } from "../helpers/mail";

const withMail = (settings: Record<string, string>) => ({ ...env, DEV_MAILBOX: "", ...settings }) as Env;
const HTTP_MAIL = {
  EMAIL_API_URL: "https://mail.example.test/ok/emails",
  EMAIL_API_KEY: "re_test_key",
  EMAIL_FROM: "Edgegram <no-reply@example.test>",
};

describe('mail configuration (README "Email")', () => {
  it("uses the HTTP API when URL, key and sender are set, the dev mailbox with DEV_MAILBOX=1, else none", () => {
    expect(parseConfig(withMail(HTTP_MAIL)).mail).toMatchObject({ kind: "http", url: HTTP_MAIL.EMAIL_API_URL });
    expect(parseConfig(env).mail.kind).toBe("dev");
    expect(parseConfig(withMail({})).mail).toEqual({ kind: "none" });
  });

  it.each([
    ["DEV_MAILBOX together with a real mail API", { ...HTTP_MAIL, DEV_MAILBOX: "1" }],
    ["a URL without a key", { EMAIL_API_URL: HTTP_MAIL.EMAIL_API_URL, EMAIL_FROM: HTTP_MAIL.EMAIL_FROM }],
    ["a URL without a sender", { EMAIL_API_URL: HTTP_MAIL.EMAIL_API_URL, EMAIL_API_KEY: "k" }],
    ["a key without a URL", { EMAIL_API_KEY: "k" }],
    ["a plain-http API", { ...HTTP_MAIL, EMAIL_API_URL: "http://mail.example.test/emails" }],
    ["DEV_MAILBOX=yes", { DEV_MAILBOX: "yes" }],
  ])("fails closed for %s", (_label, settings) => {
    expect(() => parseConfig(withMail(settings))).toThrow(ConfigError);
  });

  it.each(["", "localhost:3000", "ftp://app.example", "https://u:p@app.example", "https://app.example/?x=1"])(
    "fails closed for APP_URL %j",
    (appUrl) => {
      expect(() => parseConfig({ ...env, APP_URL: appUrl })).toThrow(ConfigError);
    },
  );
});

describe("GET /dev/mailbox", () => {
  it("answers 404 unless DEV_MAILBOX=1", async () => {
    const app = createApp();
    for (const settings of [{}, HTTP_MAIL]) {
      const res = await app.fetch(
        new Request("http://localhost/dev/mailbox?to=a@example.com"),
        withMail(settings),
        createExecutionContext(),
      );
      await expectProblem(res, 404, "not_found");
    }
  });

  it("lists an address's mail newest first, case-insensitively", async () => {
    const user = await createUser();
    expect((await api("POST", "/v1/me/email/verification", { token: user.accessToken })).status).toBe(202);
    const items = await mailbox(user.email.toUpperCase());
    expect(items).toHaveLength(2);
    const [newest, oldest] = items;
    expect(newest && oldest && newest.sent_at >= oldest.sent_at).toBe(true);
    expect(Object.keys(newest ?? {}).sort()).toEqual(["html", "sent_at", "subject", "text", "to"]);
  });
});

describe("the HTTP mail API (fake Resend-compatible server)", () => {
  const mailer = (behaviour: string) =>
    mailerFor(
      {
        kind: "http",
        url: `https://mail.example.test/${behaviour}/emails`,
        apiKey: "re_test_key",
        from: "E <e@x.test>",
        timeoutMs: 5000,
      },
      platformFor(env).db,
      platformFor(env).clock,
    );
  const message = { to: "someone@example.com", subject: "Hi", text: "plain", html: "<p>html</p>" };

  it("posts {from, to, subject, text, html} with the Bearer key", async () => {
    expect(await mailer("ok").send(message)).toBe("sent");
    const received = (await (await fetch("https://mail.example.test/__received")).json()) as {
      authorization: string;
      body: unknown;
    }[];
    expect(received.at(-1)).toEqual({
      path: "/ok/emails",
      authorization: "Bearer re_test_key",
      body: { from: "E <e@x.test>", to: ["someone@example.com"], subject: "Hi", text: "plain", html: "<p>html</p>" },
    });
  });

  it("throws on a 5xx or a refusal, so the queue retries", async () => {
    await expect(mailer("down").send(message)).rejects.toThrow(MailSendError);
    await expect(mailer("refuse").send(message)).rejects.toThrow(MailSendError);
  });

  /** A stored mail with no job queued (so the background queue cannot send it first). */
  async function storedMail(to: string): Promise<string> {
    const id = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO mails (id, to_address, subject, text_body, html_body, created_at) VALUES (?, ?, 'Verify', 'plain', '<p>html</p>', ?)",
    )
      .bind(id, to, new Date().toISOString())
      .run();
    return id;
  }

  it("loses nothing when the API fails: the stored mail is sent by the retry", async () => {
    const to = `${crypto.randomUUID()}@example.com`;
    const id = await storedMail(to);
    const failing: Mailer = { kind: "http", send: () => Promise.reject(new MailSendError("down")) };
    await expect(sendStoredMail({ ...platformFor(env), mail: failing }, id)).rejects.toThrow(MailSendError);
    const after = await env.DB.prepare("SELECT status, sent_at, attempts FROM mails WHERE id = ?").bind(id).first();
    expect(after).toEqual({ status: "pending", sent_at: null, attempts: 1 });
    await sendStoredMail(platformFor(env), id);
    const sent = await env.DB.prepare("SELECT status FROM mails WHERE id = ?").bind(id).first<{ status: string }>();
    expect(sent?.status).toBe("sent");
    expect(await mailbox(to)).toMatchObject([{ to, subject: "Verify", text: "plain" }]);
  });

  it("without any sender, flows still work and the mail is marked skipped", async () => {
    const id = await storedMail(`${crypto.randomUUID()}@example.com`);
    await sendStoredMail(
      { ...platformFor(env), mail: mailerFor({ kind: "none" }, platformFor(env).db, platformFor(env).clock) },
      id,
    );
    const after = await env.DB.prepare("SELECT status FROM mails WHERE id = ?").bind(id).first<{ status: string }>();
    expect(after?.status).toBe("skipped");
  });
});

describe("the hourly clean-up", () => {
  it("deletes finished mail, spent tokens and lapsed name holds older than a week, keeping pending mail", async () => {
    const old = new Date(Date.now() - 8 * 24 * 3600_000).toISOString();
    const ids = { sent: crypto.randomUUID(), pending: crypto.randomUUID() };
    for (const [id, status] of [
      [ids.sent, "sent"],
      [ids.pending, "pending"],
    ]) {
      await env.DB.prepare(
        "INSERT INTO mails (id, to_address, subject, text_body, html_body, created_at, status) VALUES (?, 'old@example.com', 's', 't', 'h', ?, ?)",
      )
        .bind(id, old, status)
        .run();
    }
    await env.DB.prepare(
      "INSERT INTO reserved_usernames (username, user_id, expires_at) VALUES ('lapsed_hold', 'u', ?)",
    )
      .bind(old)
      .run();
    await pruneAccountMail(platformFor(env));
    const left = await env.DB.prepare("SELECT id FROM mails WHERE id IN (?, ?)").bind(ids.sent, ids.pending).all();
    expect(left.results).toEqual([{ id: ids.pending }]);
    expect(await env.DB.prepare("SELECT 1 FROM reserved_usernames WHERE username = 'lapsed_hold'").first()).toBeNull();
  });
});
