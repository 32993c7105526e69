import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { startConversation } from "../helpers/chat";
import { createUser } from "../helpers/factories";
import { makePrivate } from "../helpers/graph";
import { joinLive, liveCommentsIn, startCommentsOnly } from "../helpers/live";
import { publish } from "../helpers/posts";
import { act, makeStaff, notices, queueEntry, report, settleNotices } from "../helpers/staff";

async function commentOn(user: { accessToken: string }, postId: string, body = "nice") {
  const res = await api("POST", `/v1/posts/${postId}/comments`, { token: user.accessToken, body: { body } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("POST /v1/reports", () => {
  it("files a report (201), and a repeat by the same person collapses onto it (200, counted once)", async () => {
    const [author, reporter, other] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(author, { caption: "buy followers now" });

    const first = await report(reporter, { type: "post", id: post.id }, "spam", "obvious spam");
    expect(first.status, await first.clone().text()).toBe(201);
    const body = (await first.json()) as { id: string; target: { type: string; id: string }; status: string };
    expect(body).toMatchObject({ target: { type: "post", id: post.id }, status: "open" });

    const again = await report(reporter, { type: "post", id: post.id }, "scam");
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(body.id);

    expect((await report(other, { type: "post", id: post.id }, "scam")).status).toBe(201);
    const entry = await queueEntry(mod, "post", post.id);
    expect(entry).toMatchObject({ owner_id: author.id, report_count: 2, total_reports: 2, hidden: false, priority: 0 });
    expect(entry?.reasons.sort()).toEqual(["scam", "spam"]);
  });

  it("refuses self-reports (422) and reports of what the reporter cannot see (404), storing nothing", async () => {
    const [author, stranger, blocked] = await Promise.all([createUser(), createUser(), createUser()]);
    const post = await publish(author, { caption: "mine" });
    await expectProblem(await report(author, { type: "post", id: post.id }), 422, "validation_failed");
    await expectProblem(await report(author, { type: "user", id: author.id }), 422, "validation_failed");

    await makePrivate(author);
    await expectProblem(await report(stranger, { type: "post", id: post.id }), 404, "not_found");
    await expectProblem(await report(stranger, { type: "post", id: "01NOSUCHPOST0000000000000" }), 404, "not_found");
    await expectProblem(
      await report(stranger, { type: "comment", id: "01NOSUCHCOMMENT00000000000" }),
      404,
      "not_found",
    );

    const res = await api("POST", `/v1/users/${blocked.username}/block`, { token: author.accessToken });
    expect(res.status).toBeLessThan(300);
    await expectProblem(await report(blocked, { type: "user", id: author.id }), 404, "not_found");

    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM reports WHERE subject_id IN (?1, ?2)")
      .bind(post.id, author.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });

  it("answers 422 for a bad reason, a missing conversation id, an unknown type or a long note", async () => {
    const [author, reporter] = await Promise.all([createUser(), createUser()]);
    const post = await publish(author);
    await expectProblem(await report(reporter, { type: "post", id: post.id }, "meh"), 422, "validation_failed");
    await expectProblem(await report(reporter, { type: "message", id: "x" }), 422, "validation_failed");
    await expectProblem(await report(reporter, { type: "hashtag", id: "x" }), 422, "validation_failed");
    await expectProblem(
      await report(reporter, { type: "post", id: post.id }, "spam", "x".repeat(1001)),
      422,
      "validation_failed",
    );
  });

  it("takes a comment, an account, a message (members only) and a live comment", async () => {
    const [author, reporter, outsider] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(reporter);
    const commentId = await commentOn(author, post.id, "you are awful");
    expect((await report(reporter, { type: "comment", id: commentId }, "harassment")).status).toBe(201);
    expect((await report(reporter, { type: "user", id: author.id }, "impersonation")).status).toBe(201);

    const conversation = await startConversation(author, [reporter]);
    const sent = await api("POST", `/v1/conversations/${conversation.id}/messages`, {
      token: author.accessToken,
      body: { body: "send me money", client_id: crypto.randomUUID() },
    });
    expect(sent.status, await sent.clone().text()).toBe(201);
    const message = (await sent.json()) as { message?: { id: string }; id?: string };
    const messageId = message.message?.id ?? message.id ?? "";
    const target = { type: "message", id: messageId, conversation_id: conversation.id };
    await expectProblem(await report(outsider, target, "scam"), 404, "not_found");
    expect((await report(reporter, target, "scam")).status).toBe(201);
    const detail = await api("GET", `/v1/admin/subjects/message/${messageId}`, { token: mod.accessToken });
    expect(detail.status, await detail.clone().text()).toBe(200);
    expect(((await detail.json()) as { content: { body: string } }).content.body).toBe("send me money");

    const host = await createUser();
    const session = await startCommentsOnly(host);
    const [speaker, listener] = [await joinLive(author, session.id), await joinLive(reporter, session.id)];
    speaker.send({ type: "comment", body: "spam spam spam", client_id: "c1" });
    await listener.until(() => liveCommentsIn(listener).length > 0, "the comment");
    const [comment] = liveCommentsIn(listener);
    const liveTarget = { type: "live_comment", id: comment?.id ?? "", live_id: session.id };
    await expectProblem(await report(author, liveTarget), 422, "validation_failed");
    expect((await report(reporter, liveTarget, "spam")).status).toBe(201);
    expect((await act(mod, "live_comment", comment?.id ?? "", "hide")).status).toBe(201);
    await listener.until((f) => f.some((x) => x.type === "comment_removed"), "the removal");
    await expectProblem(
      await report(reporter, { type: "live_comment", id: "01NOSUCHLIVECOMMENT0000000", live_id: session.id }),
      404,
      "not_found",
    );
    speaker.close();
    listener.close();
  });

  it("is rate limited: the 11th report in a minute answers 429 with retry-after", WAITS_FOR_A_WINDOW, async () => {
    const reporter = await createUser();
    const authors = await Promise.all(Array.from({ length: 11 }, () => createUser()));
    const posts = await Promise.all(authors.map((a) => publish(a)));
    await startInOneWindow(60, 20_000);
    for (const post of posts.slice(0, 10)) {
      expect((await report(reporter, { type: "post", id: post.id })).status).toBe(201);
    }
    const limited = await report(reporter, { type: "post", id: posts[10]?.id ?? "" });
    await expectProblem(limited, 429, "rate_limited");
    expect(limited.headers.get("retry-after")).toBe("60");
  });
});

describe("staff actions", () => {
  it("dismiss resolves every open report, tells the reporters, and is in the audit log", async () => {
    const [author, r1, r2] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(author, { caption: "a sunset" });
    await report(r1, { type: "post", id: post.id }, "nudity");
    await report(r2, { type: "post", id: post.id }, "spam");

    const res = await act(mod, "post", post.id, "dismiss");
    expect(res.status, await res.clone().text()).toBe(201);
    const event = (await res.json()) as { id: string; action: string; actor_id: string; owner_id: string };
    expect(event).toMatchObject({ action: "dismiss", actor_id: mod.id, owner_id: author.id });

    expect(await queueEntry(mod, "post", post.id)).toBeUndefined();
    expect(await queueEntry(mod, "post", post.id, "resolved")).toMatchObject({ report_count: 0, total_reports: 2 });
    const open = await env.DB.prepare("SELECT COUNT(*) AS n FROM reports WHERE subject_id = ?1 AND status = 'open'")
      .bind(post.id)
      .first<{ n: number }>();
    expect(open?.n).toBe(0);

    await settleNotices(r1, r2, author);
    for (const reporter of [r1, r2]) {
      expect((await notices(reporter)).join("\n")).toMatch(/does not break our rules/);
    }
    expect(await notices(author)).toEqual([]);

    const audit = await api("GET", "/v1/admin/audit?limit=100", { token: mod.accessToken });
    const items = ((await audit.json()) as { items: { id: string }[] }).items;
    expect(items.map((e) => e.id)).toContain(event.id);
  });

  it("hide takes the post away from others and tells its author; restore brings it back; both audited", async () => {
    const [author, reporter] = await Promise.all([createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(author, { caption: "rude words" });
    await report(reporter, { type: "post", id: post.id }, "hate");

    expect((await act(mod, "post", post.id, "hide")).status).toBe(201);
    await expectProblem(await api("GET", `/v1/posts/${post.id}`, { token: reporter.accessToken }), 404, "not_found");
    const row = await env.DB.prepare("SELECT hidden_at, hidden_reason FROM posts WHERE id = ?1")
      .bind(post.id)
      .first<{ hidden_at: string | null; hidden_reason: string | null }>();
    expect(row?.hidden_at).not.toBeNull();
    expect(row?.hidden_reason).toBe("hide by test");
    await expectProblem(await act(mod, "post", post.id, "hide"), 409, "conflict");

    await settleNotices(author, reporter);
    expect((await notices(author)).join("\n")).toMatch(/hidden: hide by test/);
    expect((await notices(reporter)).join("\n")).toMatch(/took action/);

    const detail = await api("GET", `/v1/admin/subjects/post/${post.id}`, { token: mod.accessToken });
    const subject = (await detail.json()) as {
      hidden: boolean;
      content: { caption: string };
      events: { action: string }[];
    };
    expect(subject.hidden).toBe(true);
    expect(subject.content.caption).toBe("rude words");

    expect((await act(mod, "post", post.id, "restore")).status).toBe(201);
    expect((await api("GET", `/v1/posts/${post.id}`, { token: reporter.accessToken })).status).toBe(200);
    await expectProblem(await act(mod, "post", post.id, "restore"), 409, "conflict");
    const history = await api("GET", `/v1/admin/subjects/post/${post.id}`, { token: mod.accessToken });
    const events = ((await history.json()) as { events: { action: string }[] }).events.map((e) => e.action);
    expect(events).toEqual(["restore", "hide"]);
  });

  it("hides a message from every member and a comment from the post's readers", async () => {
    const [author, reporter] = await Promise.all([createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const conversation = await startConversation(author, [reporter]);
    const sent = await api("POST", `/v1/conversations/${conversation.id}/messages`, {
      token: author.accessToken,
      body: { body: "threat", client_id: crypto.randomUUID() },
    });
    const messageId = ((await sent.json()) as { id: string }).id;
    await report(reporter, { type: "message", id: messageId, conversation_id: conversation.id }, "violence");
    expect((await act(mod, "message", messageId, "hide")).status).toBe(201);
    const res = await api("GET", `/v1/conversations/${conversation.id}/messages`, { token: reporter.accessToken });
    const items = ((await res.json()) as { items: { id: string; body: string }[] }).items;
    expect(items.find((m) => m.id === messageId)?.body).toBe("");

    const post = await publish(reporter);
    const commentId = await commentOn(author, post.id, "go away");
    await report(reporter, { type: "comment", id: commentId }, "harassment");
    expect((await act(mod, "comment", commentId, "hide")).status).toBe(201);
    const hidden = await env.DB.prepare("SELECT hidden_at FROM comments WHERE id = ?1")
      .bind(commentId)
      .first<{ hidden_at: string | null }>();
    expect(hidden?.hidden_at).not.toBeNull();
  });

  it("checks the subject and its owner from storage: unknown subjects 404, one's own 403, staff's need an admin", async () => {
    const [mod, otherMod, admin] = [
      await makeStaff("moderator"),
      await makeStaff("moderator"),
      await makeStaff("admin"),
    ];
    await expectProblem(await act(mod, "post", "01NOSUCHPOST0000000000000", "hide"), 404, "not_found");
    const own = await publish(mod);
    await expectProblem(await act(mod, "post", own.id, "hide"), 403, "forbidden");
    const staffPost = await publish(otherMod);
    await expectProblem(await act(mod, "post", staffPost.id, "hide"), 403, "forbidden");
    await expectProblem(await act(mod, "user", admin.id, "suspend"), 403, "forbidden");
    expect((await act(admin, "post", staffPost.id, "hide")).status).toBe(201);
    await expectProblem(
      await act(admin, "post", staffPost.id, "warn", { duration_hours: 2 }),
      422,
      "validation_failed",
    );
    await expectProblem(
      await api("POST", `/v1/admin/subjects/post/${staffPost.id}/actions`, {
        token: admin.accessToken,
        body: { action: "obliterate", note: "x" },
      }),
      422,
      "validation_failed",
    );
  });

  it("the audit log is append-only: D1 refuses to rewrite or delete an event", async () => {
    const [author] = await Promise.all([createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(author);
    const event = (await (await act(mod, "post", post.id, "warn")).json()) as { id: string };
    await expect(
      env.DB.prepare("UPDATE moderation_events SET note = 'x' WHERE id = ?1").bind(event.id).run(),
    ).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare("DELETE FROM moderation_events WHERE id = ?1").bind(event.id).run()).rejects.toThrow(
      /append-only/,
    );
    await settleNotices(author);
    expect((await notices(author)).join("\n")).toMatch(/warning/);
  });
});

describe("appeals", () => {
  it("lets the author appeal a hide once; it re-enters the queue above reports", async () => {
    const [author, reporter, stranger] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const post = await publish(author);
    await report(reporter, { type: "post", id: post.id }, "spam");
    const appealBody = { subject: { type: "post", id: post.id }, note: "it was a joke" };
    // Not hidden yet: nothing to appeal.
    await expectProblem(
      await api("POST", "/v1/appeals", { token: author.accessToken, body: appealBody }),
      404,
      "not_found",
    );
    await act(mod, "post", post.id, "hide");
    await expectProblem(
      await api("POST", "/v1/appeals", { token: stranger.accessToken, body: appealBody }),
      404,
      "not_found",
    );
    const res = await api("POST", "/v1/appeals", { token: author.accessToken, body: appealBody });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await queueEntry(mod, "post", post.id)).toMatchObject({ appealed: true, priority: 20, hidden: true });
    await expectProblem(
      await api("POST", "/v1/appeals", { token: author.accessToken, body: appealBody }),
      409,
      "conflict",
    );
    const audit = await api("GET", `/v1/admin/audit?limit=100`, { token: mod.accessToken });
    const items = ((await audit.json()) as { items: { action: string; subject: { id: string } }[] }).items;
    expect(items.filter((e) => e.subject.id === post.id).map((e) => e.action)).toEqual(["appeal", "hide"]);
  });
});
