import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { endAbandoned } from "../../src/features/live/live.service";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { goLive, inputUid, type Session, STREAM_WEBHOOK_SECRET, webhook, withoutStream } from "../helpers/live";

const SECRET = STREAM_WEBHOOK_SECRET;

afterEach(() => setClock(null));

const sessionOf = (user: TestUser | null, id: string) =>
  api("GET", `/v1/live/${id}`, user ? { token: user.accessToken } : {});

async function fakeInput(uid: string): Promise<{ enabled: boolean } | null> {
  const res = await fetch(`https://stream.example.test/__inputs/${uid}`);
  return ((await res.json()) as { result: { enabled: boolean } | null }).result;
}

describe("with Cloudflare Stream (a fake Stream API)", () => {
  it("creates a live input: ingest for the host only, playback for viewers; live when the stream connects", async () => {
    const [host, fan] = [await createUser(), await createUser()];
    await follow(fan, host);
    const session = await goLive(host, { title: "Sunset set" });
    expect(session).toMatchObject({ status: "created", audience: "public", started_at: null });
    const uid = inputUid(session);
    expect(session.ingest).toEqual({
      rtmps_url: "rtmps://live.cloudflare.com:443/live/",
      stream_key: `key-${uid}`,
      srt_url: "srt://live.cloudflare.com:778",
      srt_stream_id: `sid-${uid}`,
      srt_passphrase: `pass-${uid}`,
      whip_url: `https://customer-test.cloudflarestream.com/${uid}/webRTC/publish`,
    });
    expect(session.playback).toEqual({
      hls_url: `https://customer-test.cloudflarestream.com/${uid}/manifest/video.m3u8`,
      dash_url: `https://customer-test.cloudflarestream.com/${uid}/manifest/video.mpd`,
      whep_url: `https://customer-test.cloudflarestream.com/${uid}/webRTC/play`,
    });
    expect(await fakeInput(uid)).toMatchObject({ enabled: true });
    // Not visible to others until it is live.
    await expectProblem(await sessionOf(fan, session.id), 404, "not_found");

    expect((await webhook(uid, "live_input.connected")).status).toBe(204);
    const seen = (await (await sessionOf(fan, session.id)).json()) as Session;
    expect(seen.status).toBe("live");
    expect(seen.ingest).toBeNull();
    expect(seen.playback?.hls_url).toContain(uid);
    expect(JSON.stringify(seen)).not.toContain(`key-${uid}`);
    const listed = (await (await api("GET", "/v1/live", { token: fan.accessToken })).json()) as { items: Session[] };
    expect(listed.items.map((s) => s.id)).toEqual([session.id]);
    // Anonymous viewers see a public account's public session.
    expect((await sessionOf(null, session.id)).status).toBe(200);
  });

  it("refuses webhooks without the secret (401) and changes nothing", async () => {
    const host = await createUser();
    const session = await goLive(host);
    const uid = inputUid(session);
    for (const secret of [null, "", "wrong-secret", `${SECRET}x`]) {
      const res = await webhook(uid, "live_input.connected", secret);
      expect(res.status, `secret ${JSON.stringify(secret)}`).toBe(401);
      await expectProblem(res, 401, "unauthorized");
    }
    const after = (await (await sessionOf(host, session.id)).json()) as Session;
    expect(after.status).toBe("created");
    // Unknown inputs are acknowledged and ignored; malformed events are 422.
    expect((await webhook("not-ours", "live_input.connected")).status).toBe(204);
    await expectProblem(await webhook(uid, "live_input.exploded"), 422, "validation_failed");
  });

  it("ends after a disconnection longer than the grace period (input disabled); a reconnection in time keeps it live", async () => {
    const host = await createUser();
    const session = await goLive(host);
    const uid = inputUid(session);
    await webhook(uid, "live_input.connected");
    await webhook(uid, "live_input.disconnected");
    const platform = platformFor(env);
    // Within the grace period: still live, and a reconnection clears the disconnection.
    setClock({ now: () => new Date(Date.now() + 30_000) });
    await endAbandoned(platform);
    expect(((await (await sessionOf(host, session.id)).json()) as Session).status).toBe("live");
    setClock(null);
    await webhook(uid, "live_input.connected");
    setClock({ now: () => new Date(Date.now() + 120_000) });
    await endAbandoned(platform);
    expect(((await (await sessionOf(host, session.id)).json()) as Session).status).toBe("live");
    setClock(null);

    await webhook(uid, "live_input.errored");
    setClock({ now: () => new Date(Date.now() + 61_000) });
    await endAbandoned(platform);
    setClock(null);
    const ended = (await (await sessionOf(host, session.id)).json()) as Session;
    expect(ended.status).toBe("ended");
    expect(ended.ended_at).not.toBeNull();
    expect(await fakeInput(uid)).toMatchObject({ enabled: false });
    // Events after the end change nothing.
    await webhook(uid, "live_input.connected");
    expect(((await (await sessionOf(host, session.id)).json()) as Session).status).toBe("ended");
  });

  it("the host ends it (the input is disabled), once; one open session per host", async () => {
    const [host, other] = [await createUser(), await createUser()];
    const session = await goLive(host);
    await expectProblem(await api("POST", "/v1/live", { token: host.accessToken, body: {} }), 409, "conflict");
    // A Stream session goes live by its video, not by the host's word.
    await expectProblem(
      await api("POST", `/v1/live/${session.id}/start`, { token: host.accessToken }),
      409,
      "conflict",
    );
    await expectProblem(
      await api("POST", `/v1/live/${session.id}/end`, { token: other.accessToken }),
      404,
      "not_found",
    );
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/v1/live/${session.id}/end`, { token: host.accessToken });
      expect(((await res.json()) as Session).status).toBe("ended");
    }
    expect(await fakeInput(inputUid(session))).toMatchObject({ enabled: false });
    await goLive(host);
  });

  it("a Stream failure answers 503 with retry-after and stores nothing", async () => {
    const host = await createUser();
    const res = await worker.fetch(
      new Request("http://localhost/v1/live", {
        method: "POST",
        headers: { authorization: `Bearer ${host.accessToken}`, "content-type": "application/json" },
        body: "{}",
      }),
      { ...env, STREAM_ACCOUNT_ID: "acct-down" } as Env,
      createExecutionContext(),
    );
    await expectProblem(res, 503, "unavailable");
    expect(res.headers.get("retry-after")).toBe("5");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM live_sessions WHERE host_id = ?1")
      .bind(host.id)
      .first();
    expect(rows?.n).toBe(0);
  });
});

describe("faults", () => {
  it("the session ends even when Stream cannot be told; ending again retries", async () => {
    const host = await createUser();
    const session = await goLive(host);
    const end = (account: string) =>
      worker.fetch(
        new Request(`http://localhost/v1/live/${session.id}/end`, {
          method: "POST",
          headers: { authorization: `Bearer ${host.accessToken}` },
        }),
        { ...env, STREAM_ACCOUNT_ID: account } as Env,
        createExecutionContext(),
      );
    const res = await end("acct-down");
    expect(res.status).toBe(200);
    expect(((await res.json()) as Session).status).toBe("ended");
    expect(await fakeInput(inputUid(session))).toMatchObject({ enabled: true });
    expect((await end("acct-test")).status).toBe(200);
    expect(await fakeInput(inputUid(session))).toMatchObject({ enabled: false });
  });
});

describe("comments-only sessions (no Stream configured)", () => {
  it("have no ingest or playback, and go live and end by the host's word", async () => {
    const host = await createUser();
    const created = await withoutStream("POST", "/v1/live", host, { title: "Q&A" });
    expect(created.status).toBe(201);
    const session = (await created.json()) as Session;
    expect(session).toMatchObject({ ingest: null, playback: null, status: "created" });
    const started = await withoutStream("POST", `/v1/live/${session.id}/start`, host);
    expect(((await started.json()) as Session).status).toBe("live");
    const ended = await withoutStream("POST", `/v1/live/${session.id}/end`, host);
    expect(((await ended.json()) as Session).status).toBe("ended");
    await expectProblem(await withoutStream("POST", `/v1/live/${session.id}/start`, host), 409, "conflict");
  });
});

describe("who may see a session: the posts' rule for its audience", () => {
  async function liveSession(host: TestUser, audience: string): Promise<Session> {
    const session = await goLive(host, { audience });
    await webhook(inputUid(session), "live_input.connected");
    return session;
  }

  it("followers-only and close-friends sessions, private hosts, blocks either way", async () => {
    const [host, fan, stranger, friend] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await follow(fan, host);
    await follow(friend, host);
    await api("PUT", `/v1/me/close-friends/${friend.username}`, { token: host.accessToken });
    const followersOnly = await liveSession(host, "followers");
    expect((await sessionOf(fan, followersOnly.id)).status).toBe(200);
    await expectProblem(await sessionOf(stranger, followersOnly.id), 404, "not_found");
    await expectProblem(await sessionOf(null, followersOnly.id), 404, "not_found");
    await api("POST", `/v1/live/${followersOnly.id}/end`, { token: host.accessToken });

    const closeFriends = await liveSession(host, "close_friends");
    expect((await sessionOf(friend, closeFriends.id)).status).toBe(200);
    await expectProblem(await sessionOf(fan, closeFriends.id), 404, "not_found");
    const fanList = (await (await api("GET", "/v1/live", { token: fan.accessToken })).json()) as { items: Session[] };
    expect(fanList.items).toEqual([]);
    await api("POST", `/v1/live/${closeFriends.id}/end`, { token: host.accessToken });

    const open = await liveSession(host, "public");
    expect((await sessionOf(fan, open.id)).status).toBe(200);
    expect((await api("POST", `/v1/users/${fan.username}/block`, { token: host.accessToken })).status).toBe(200);
    await expectProblem(await sessionOf(fan, open.id), 404, "not_found");
    expect((await api("POST", `/v1/users/${host.username}/block`, { token: stranger.accessToken })).status).toBe(200);
    await expectProblem(await sessionOf(stranger, open.id), 404, "not_found");
  });

  it("a private host's public session is for approved followers", async () => {
    const [host, fan, stranger] = [await createUser(), await createUser(), await createUser()];
    await makePrivate(host);
    await follow(fan, host);
    await api("POST", `/v1/me/follow-requests/${fan.username}/approve`, { token: host.accessToken });
    const session = await goLive(host, { audience: "public" });
    await webhook(inputUid(session), "live_input.connected");
    expect((await sessionOf(fan, session.id)).status).toBe(200);
    await expectProblem(await sessionOf(stranger, session.id), 404, "not_found");
  });

  it("refuses bad input with 422", async () => {
    const host = await createUser();
    for (const body of [{ audience: "everyone" }, { title: "x".repeat(101) }, { extra: 1 }]) {
      await expectProblem(await api("POST", "/v1/live", { token: host.accessToken, body }), 422, "validation_failed");
    }
  });
});
