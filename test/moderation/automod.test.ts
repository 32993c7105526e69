import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { readImageHeader } from "../../src/features/media/image-header";
import { reasonOf, verdictOf } from "../../src/features/moderation/automod.service";
import worker from "../../src/index";
import { api, apiWithEnv } from "../helpers/api";
import { type Frame, TestSocket, upgrade } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { startCommentsOnly } from "../helpers/live";
import { fixture, uploadAndComplete, waitReady } from "../helpers/media";
import { type PostBody, publish, readyMedia } from "../helpers/posts";
import type { RecordedRequest } from "../setup/fake-openai";

const AI = "https://ai.example.test";
const QUEUE = "edgegram-moderation";

interface QueueEntry {
  subject: { type: string; id: string };
  owner_id: string;
  priority: number;
  reasons: string[];
  flags: string[];
  hidden: boolean;
  report_count: number;
}

interface Check {
  status: string;
  verdict: string | null;
  error: string | null;
  claimed_at: string | null;
  result: string | null;
}

/** A fresh case of the fake provider; its id travels in the text as `case:<id>`. */
async function scriptCase(steps: Record<string, unknown>[] = [{ kind: "ok" }]): Promise<string> {
  const id = crypto.randomUUID();
  const res = await fetch(`${AI}/__script/${id}`, { method: "POST", body: JSON.stringify(steps) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return id;
}

async function providerRequests(caseId: string): Promise<RecordedRequest[]> {
  const all = (await (await fetch(`${AI}/__requests/${caseId}`)).json()) as RecordedRequest[];
  return all.filter((r) => Array.isArray(r.body.input));
}

async function checksOf(type: string, id: string): Promise<Check[]> {
  const { results } = await env.DB.prepare(
    "SELECT status, verdict, error, claimed_at, result FROM moderation_checks WHERE subject_type = ?1 AND subject_id = ?2",
  )
    .bind(type, id)
    .all<Check>();
  return results;
}

/** Waits (through the real queue) until the subject has a check that is no longer pending. */
async function settled(type: string, id: string): Promise<Check> {
  let last: Check | undefined;
  await vi.waitFor(
    async () => {
      const checks = await checksOf(type, id);
      last = checks.find((c) => c.status !== "pending");
      expect(last).toBeDefined();
    },
    { timeout: 25_000, interval: 100 },
  );
  if (!last) throw new Error("no check");
  return last;
}

async function hiddenAt(table: "posts" | "comments" | "stories", id: string): Promise<string | null> {
  const row = await env.DB.prepare(`SELECT hidden_at FROM ${table} WHERE id = ?1`)
    .bind(id)
    .first<{ hidden_at: string | null }>();
  return row?.hidden_at ?? null;
}

let moderator: TestUser;

beforeAll(async () => {
  const staff = await createUser();
  await env.DB.prepare("UPDATE users SET role = 'moderator' WHERE id = ?1").bind(staff.id).run();
  // A token minted after the change carries the role.
  const res = await api("POST", "/v1/auth/login", { body: { login: staff.username, password: staff.password } });
  expect(res.status, await res.clone().text()).toBe(200);
  moderator = { ...staff, accessToken: ((await res.json()) as { access_token: string }).access_token };
});

/** The subject's entry in the open review queue, paging until it is found; undefined if it is not there. */
async function queueEntry(type: string, id: string): Promise<QueueEntry | undefined> {
  let cursor: string | null = null;
  for (let page = 0; page < 40; page++) {
    const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await api("GET", `/v1/admin/reports?status=open&limit=50${query}`, { token: moderator.accessToken });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { items: QueueEntry[]; next_cursor: string | null };
    const found = body.items.find((e) => e.subject.type === type && e.subject.id === id);
    if (found) return found;
    cursor = body.next_cursor;
    if (cursor === null) return undefined;
  }
  return undefined;
}

describe("the verdict", () => {
  const t = { hideThreshold: 0.9, flagThreshold: 0.5 };

  it("maps the provider's categories to report reasons", () => {
    expect(
      [
        "sexual",
        "sexual/minors",
        "harassment/threatening",
        "hate",
        "violence/graphic",
        "self-harm/intent",
        "illicit",
      ].map(reasonOf),
    ).toEqual(["nudity", "nudity", "harassment", "hate", "violence", "self_harm", "other"]);
  });

  it("hides at the hide threshold, flags at the flag threshold, and hides sexual/minors at the flag threshold", () => {
    expect(verdictOf({ hate: 0.9, violence: 0.6, sexual: 0.1 }, t)).toEqual({
      verdict: "hide",
      flags: ["hate", "violence"],
      over: { hate: 0.9, violence: 0.6 },
      reason: "hate",
    });
    expect(verdictOf({ hate: 0.89, "self-harm": 0.5 }, t)).toMatchObject({ verdict: "flag", reason: "hate" });
    expect(verdictOf({ violence: 0.7, "sexual/minors": 0.5 }, t)).toMatchObject({
      verdict: "hide",
      reason: "nudity",
      flags: ["violence", "sexual/minors"],
    });
    expect(verdictOf({ "sexual/minors": 0.49, hate: 0.2 }, t)).toEqual({
      verdict: "ok",
      flags: [],
      over: {},
      reason: "other",
    });
  });
});

describe("automatic moderation through the real queue and the fake provider", () => {
  it("a caption over the hide threshold is hidden at once, at the top of the queue with its flags", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `nasty words case:${caseId} mod:hide` });
    const check = await settled("post", post.id);
    expect(check).toMatchObject({ status: "done", verdict: "hide" });
    expect(await hiddenAt("posts", post.id)).not.toBeNull();
    expect(await queueEntry("post", post.id)).toMatchObject({
      owner_id: author.id,
      hidden: true,
      priority: 30,
      reasons: ["harassment"],
      flags: ["harassment"],
      report_count: 1,
    });
    const detail = await api("GET", `/v1/admin/subjects/post/${post.id}`, { token: moderator.accessToken });
    const events = ((await detail.json()) as { events: { action: string; actor_id: string | null; note: string }[] })
      .events;
    expect(events).toContainEqual(expect.objectContaining({ action: "auto_hide", actor_id: null }));
    expect(events[0]?.note).toMatch(/^Automatic check \(omni-moderation-latest-2024-09-26\): harassment 0\.97/);
    // The request: the configured model and key, the caption as text (no image: this one has no master).
    const [request] = await providerRequests(caseId);
    expect(request?.authorization).toBe("Bearer sk-test-fake-provider-key");
    expect(request?.body).toEqual({
      model: "omni-moderation-latest",
      input: [{ type: "text", text: `nasty words case:${caseId} mod:hide` }],
    });
  });

  it("over the flag threshold: a system report with the flags, not hidden", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `case:${caseId} mod:flag` });
    expect(await settled("post", post.id)).toMatchObject({ status: "done", verdict: "flag" });
    expect(await hiddenAt("posts", post.id)).toBeNull();
    expect(await queueEntry("post", post.id)).toMatchObject({
      hidden: false,
      priority: 10,
      reasons: ["violence"],
      flags: ["violence", "harassment"],
    });
    const other = await createUser();
    expect((await api("GET", `/v1/posts/${post.id}`, { token: other.accessToken })).status).toBe(200);
  });

  it("below the flag threshold: nothing but the check", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `a quiet evening case:${caseId}` });
    expect(await settled("post", post.id)).toMatchObject({ status: "done", verdict: "ok", result: "{}" });
    expect(await hiddenAt("posts", post.id)).toBeNull();
    expect(await queueEntry("post", post.id)).toBeUndefined();
  });

  it("sexual/minors at the flag threshold hides (nudity)", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `case:${caseId} mod:minors` });
    expect(await settled("post", post.id)).toMatchObject({ verdict: "hide" });
    expect(await hiddenAt("posts", post.id)).not.toBeNull();
    expect(await queueEntry("post", post.id)).toMatchObject({
      hidden: true,
      reasons: ["nudity"],
      flags: ["sexual/minors"],
    });
  });

  it("checks a comment, a bio and a story caption", async () => {
    const [author, commenter] = [await createUser(), await createUser()];
    const post = await publish(author, { caption: "fine" });

    const commentCase = await scriptCase();
    const res = await api("POST", `/v1/posts/${post.id}/comments`, {
      token: commenter.accessToken,
      body: { body: `case:${commentCase} mod:hide` },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const comment = (await res.json()) as { id: string };
    expect(await settled("comment", comment.id)).toMatchObject({ verdict: "hide" });
    expect(await hiddenAt("comments", comment.id)).not.toBeNull();

    const bioCase = await scriptCase();
    const me = await api("PATCH", "/v1/me", {
      token: commenter.accessToken,
      body: { bio: `case:${bioCase} mod:flag` },
    });
    expect(me.status, await me.clone().text()).toBe(200);
    expect(await settled("user", commenter.id)).toMatchObject({ verdict: "flag" });
    expect(await queueEntry("user", commenter.id)).toMatchObject({ hidden: false, flags: ["violence", "harassment"] });

    const storyCase = await scriptCase();
    const story = await api("POST", "/v1/stories", {
      token: author.accessToken,
      body: { media_id: await readyMedia(author), caption: `case:${storyCase} mod:hide` },
    });
    expect(story.status, await story.clone().text()).toBe(201);
    const { id: storyId } = (await story.json()) as { id: string };
    expect(await settled("story", storyId)).toMatchObject({ verdict: "hide" });
    expect(await hiddenAt("stories", storyId)).not.toBeNull();
    for (const c of [commentCase, bioCase, storyCase]) expect(await providerRequests(c)).toHaveLength(1);
  });

  it("checks a live comment: the room queues it, and a hide removes it from every screen", async () => {
    const [host, viewer] = [await createUser(), await createUser()];
    const session = await startCommentsOnly(host, { audience: "public" });
    const join = async (user: TestUser) => {
      const t = await api("POST", "/v1/realtime/tickets", {
        token: user.accessToken,
        body: { scope: `live:${session.id}` },
      });
      const { ticket } = (await t.json()) as { ticket: string };
      const up = await upgrade(`/v1/live/${session.id}/ws?ticket=${ticket}`);
      if (up.status !== 101 || !up.webSocket) throw new Error(`no upgrade: ${up.status}`);
      const socket = new TestSocket(up.webSocket);
      await socket.until((f) => f.some((x) => x.type === "ready"), "ready");
      return socket;
    };
    const [hs, vs] = [await join(host), await join(viewer)];
    const caseId = await scriptCase();
    vs.send({ type: "comment", body: `case:${caseId} mod:hide`, client_id: "m1" });
    const commentIn = (frames: Frame[]) =>
      frames
        .filter((f) => f.type === "comment")
        .flatMap((f) => (f as unknown as { comments: { id: string; body: string }[] }).comments)
        .find((c) => c.body.includes(caseId));
    await hs.until((f) => commentIn(f) !== undefined, "the comment");
    const id = commentIn(hs.of("comment"))?.id ?? "";
    await hs.until((f) => f.some((x) => x.type === "comment_removed" && x.comment_id === id), "the removal", 25_000);
    expect(await settled("live_comment", id)).toMatchObject({ verdict: "hide" });
    expect(await queueEntry("live_comment", id)).toMatchObject({ hidden: true, owner_id: viewer.id });
    for (const s of [hs, vs]) s.close();
  });

  it("sends a post's image as the 640 px JPEG data URL with its caption, and keeps no variant", async () => {
    const author = await createUser();
    const { ticket } = await uploadAndComplete(author, fixture("gps"));
    expect((await waitReady(author, ticket.media_id)).status).toBe("ready");
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `case:${caseId}`, media_ids: [ticket.media_id] });
    expect(await settled("post", post.id)).toMatchObject({ verdict: "ok" });
    const [request] = await providerRequests(caseId);
    const input = request?.body.input as { type: string; text?: string; image_url?: { url: string } }[];
    expect(input[0]).toEqual({ type: "text", text: `case:${caseId}` });
    expect(input[1]?.type).toBe("image_url");
    const url = input[1]?.image_url?.url ?? "";
    expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
    const bytes = Uint8Array.from(atob(url.slice("data:image/jpeg;base64,".length)), (ch) => ch.charCodeAt(0));
    const header = readImageHeader(bytes);
    expect(header?.type).toBe("image/jpeg");
    expect(Math.max(header?.width ?? 0, header?.height ?? 0)).toBe(640);
    const kept = await env.MEDIA.list({ prefix: `media/${author.id}/${ticket.media_id}/medium` });
    expect(kept.objects).toHaveLength(0);
  });

  it("an edit is checked again; the same caption is not", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const post = await publish(author, { caption: `case:${caseId} first` });
    expect(await settled("post", post.id)).toMatchObject({ verdict: "ok" });
    const edit = (caption: string) =>
      api("PATCH", `/v1/posts/${post.id}`, { token: author.accessToken, body: { caption } });
    expect((await edit(`case:${caseId} mod:flag`)).status).toBe(200);
    await vi.waitFor(
      async () => expect((await checksOf("post", post.id)).filter((c) => c.status === "done")).toHaveLength(2),
      { timeout: 25_000, interval: 100 },
    );
    expect((await checksOf("post", post.id)).map((c) => c.verdict).sort()).toEqual(["flag", "ok"]);
    expect(await queueEntry("post", post.id)).toMatchObject({ flags: ["violence", "harassment"] });
    // The same caption again: its check is done, so the provider is not asked twice.
    expect((await edit(`case:${caseId} mod:flag`)).status).toBe(200);
    const res = await api("GET", `/v1/posts/${post.id}`, { token: author.accessToken });
    expect(((await res.json()) as PostBody).caption).toBe(`case:${caseId} mod:flag`);
    await runJob({ type: "moderation.check", subject_type: "post", subject_id: post.id, context_id: null });
    expect(await providerRequests(caseId)).toHaveLength(2);
  });
});

// ---- the consumer driven directly, for content stored without a provider (no job queued) ----

const UNCONFIGURED = { OPENAI_BASE_URL: "", OPENAI_API_KEY: "" };
const unconfiguredEnv = { ...env, ...UNCONFIGURED } as Env;

/** A request to the same Worker with no provider configured: nothing is queued for moderation. */
const unconfigured = (method: string, path: string, user: TestUser, body?: unknown) =>
  apiWithEnv(UNCONFIGURED, method, path, user, body);

async function quietPost(author: TestUser, caption: string): Promise<string> {
  const res = await unconfigured("POST", "/v1/posts", author, { caption, media_ids: [await readyMedia(author)] });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as PostBody).id;
}

type CheckJob = { type: "moderation.check"; subject_type: string; subject_id: string; context_id: string | null };

/**
 * One batch of the given copies of a job, as the moderation queue (or its DLQ) delivers it,
 * recording how each message was settled (the harness's own batches drop a retry's delay).
 */
async function runJob(job: CheckJob, opts: { copies?: number; attempts?: number; queue?: string; on?: Env } = {}) {
  const acks: string[] = [];
  const retries: { id: string; delaySeconds?: number }[] = [];
  const messages = Array.from({ length: opts.copies ?? 1 }, (_, i) => ({
    id: `m${i}`,
    timestamp: new Date(),
    attempts: opts.attempts ?? 1,
    body: job,
    ack: () => acks.push(`m${i}`),
    retry: (options?: { delaySeconds?: number }) => retries.push({ id: `m${i}`, ...options }),
  }));
  const batch = { queue: opts.queue ?? QUEUE, messages, ackAll: () => undefined, retryAll: () => undefined };
  await worker.queue(batch as unknown as MessageBatch<unknown>, opts.on ?? env);
  return { acks, retries };
}

const jobFor = (postId: string): CheckJob => ({
  type: "moderation.check",
  subject_type: "post",
  subject_id: postId,
  context_id: null,
});

describe("the moderation.check consumer", () => {
  it("a redelivered message calls the provider once", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const postId = await quietPost(author, `case:${caseId} mod:flag`);
    const result = await runJob(jobFor(postId), { copies: 3 });
    expect(result.acks.sort()).toEqual(["m0", "m1", "m2"]);
    await runJob(jobFor(postId));
    expect(await providerRequests(caseId)).toHaveLength(1);
    expect(await checksOf("post", postId)).toEqual([expect.objectContaining({ status: "done", verdict: "flag" })]);
    expect((await queueEntry("post", postId))?.report_count).toBe(1);
  });

  it("a 429 releases the claim and retries after the provider's retry-after, then succeeds", async () => {
    const author = await createUser();
    const caseId = await scriptCase([{ kind: "status", status: 429, retry_after: "7" }, { kind: "ok" }]);
    const postId = await quietPost(author, `case:${caseId} mod:hide`);
    const first = await runJob(jobFor(postId));
    expect(first.retries).toEqual([{ id: "m0", delaySeconds: 7 }]);
    expect(await checksOf("post", postId)).toEqual([
      expect.objectContaining({ status: "pending", claimed_at: null, error: "The provider answered 429." }),
    ]);
    const second = await runJob(jobFor(postId), { attempts: 2 });
    expect(second.acks).toEqual(["m0"]);
    expect(await checksOf("post", postId)).toEqual([expect.objectContaining({ status: "done", verdict: "hide" })]);
    expect(await hiddenAt("posts", postId)).not.toBeNull();
    expect(await providerRequests(caseId)).toHaveLength(2);
  });

  it("a 500 is retried with the queue's backoff; the dead-letter consumer marks the check failed", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const postId = await quietPost(author, `case:${caseId} mod:500`);
    for (const attempts of [1, 2]) {
      const result = await runJob(jobFor(postId), { attempts });
      expect(result.retries).toEqual([{ id: "m0", delaySeconds: 30 * 2 ** (attempts - 1) }]);
    }
    expect(await providerRequests(caseId)).toHaveLength(2);
    const dead = await runJob(jobFor(postId), { queue: `${QUEUE}-dlq`, attempts: 5 });
    expect(dead.acks).toEqual(["m0"]);
    const [check] = await checksOf("post", postId);
    expect(check?.status).toBe("failed");
    expect(check?.error).toBe(
      "The provider did not answer after several attempts. Last error: The provider answered 500.",
    );
    expect(await hiddenAt("posts", postId)).toBeNull();
    expect(await providerRequests(caseId)).toHaveLength(2);
  });

  it("a 400 fails the check at once naming MODERATION_MODEL", async () => {
    const author = await createUser();
    const caseId = await scriptCase([{ kind: "status", status: 400 }]);
    const postId = await quietPost(author, `case:${caseId} mod:hide`);
    expect((await runJob(jobFor(postId))).acks).toEqual(["m0"]);
    const [check] = await checksOf("post", postId);
    expect(check?.status).toBe("failed");
    expect(check?.error).toContain("MODERATION_MODEL");
    expect(await hiddenAt("posts", postId)).toBeNull();
  });

  it("content deleted or already hidden by the time the job runs is left alone", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const gone = await quietPost(author, `case:${caseId} mod:hide`);
    expect((await unconfigured("DELETE", `/v1/posts/${gone}`, author)).status).toBe(204);
    const hidden = await quietPost(author, `case:${caseId} mod:hide`);
    await env.DB.prepare("UPDATE posts SET hidden_at = '2026-01-01T00:00:00.000Z' WHERE id = ?1").bind(hidden).run();
    await runJob(jobFor(gone));
    await runJob(jobFor(hidden));
    expect(await providerRequests(caseId)).toHaveLength(0);
    expect([...(await checksOf("post", gone)), ...(await checksOf("post", hidden))]).toEqual([]);
  });

  it("unconfigured (no key, no base URL): no job is queued, a stray one calls nothing, the content stays", async () => {
    const author = await createUser();
    const caseId = await scriptCase();
    const postId = await quietPost(author, `case:${caseId} mod:hide`);
    const staged = await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE job LIKE ?1")
      .bind(`%moderation.check%${postId}%`)
      .first<{ n: number }>();
    expect(staged?.n).toBe(0);
    expect((await runJob(jobFor(postId), { on: unconfiguredEnv })).acks).toEqual(["m0"]);
    expect(await providerRequests(caseId)).toHaveLength(0);
    expect(await checksOf("post", postId)).toEqual([]);
    expect(await hiddenAt("posts", postId)).toBeNull();
  });
});
