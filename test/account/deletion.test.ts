import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem } from "../helpers/api";
import { joinHub, joinRoom, startConversation } from "../helpers/chat";
import { backdateDeletion, deleteAccount } from "../helpers/deletion";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, usernames } from "../helpers/graph";
import { publish } from "../helpers/posts";
import { login } from "../helpers/staff";

afterEach(() => setClock(null));

const me = (user: TestUser) => api("GET", "/v1/me", { token: user.accessToken });

async function feedIds(user: TestUser): Promise<string[]> {
  const res = await api("GET", "/v1/feed", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: { id: string }[] }).items.map((p) => p.id);
}

describe("DELETE /v1/me", () => {
  it("needs the right password: a wrong one answers 401 and changes nothing", async () => {
    const user = await createUser();
    const res = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: "not the password" } });
    await expectProblem(res, 401, "unauthorized");
    expect((await me(user)).status).toBe(200);
    const row = await env.DB.prepare("SELECT deleted_at FROM users WHERE id = ?1").bind(user.id).first();
    expect(row?.deleted_at).toBeNull();
    await expectProblem(await api("DELETE", "/v1/me", { token: user.accessToken, body: {} }), 422, "validation_failed");
  });

  it("the account disappears at once from every surface; its tokens and sockets end", async () => {
    const [gone, friend, other] = await Promise.all([createUser(), createUser(), createUser()]);
    await follow(friend, gone);
    await follow(gone, other);
    const post = await publish(gone, { caption: "soon gone #farewell" });
    expect(await feedIds(friend)).toContain(post.id);
    const conversation = await startConversation(gone, [friend]);
    const [hub, room] = [await joinHub(gone), await joinRoom(gone, conversation.id)];

    const due = await deleteAccount(gone);
    expect(Date.parse(due) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    for (const socket of [hub, room]) expect((await socket.waitClosed()).code).toBe(4001);
    await expectProblem(await me(gone), 401, "unauthorized");
    await expectProblem(
      await api("POST", "/v1/auth/refresh", { body: { refresh_token: gone.refreshToken } }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await api("GET", `/v1/users/${gone.username}`), 404, "not_found");
    await expectProblem(await api("GET", `/v1/posts/${post.id}`, { token: friend.accessToken }), 404, "not_found");
    expect(await feedIds(friend)).not.toContain(post.id);
    const search = await api("GET", `/v1/search?type=accounts&q=${gone.username}`, { token: friend.accessToken });
    expect(await usernames(search)).not.toContain(gone.username);
    const followers = await api("GET", `/v1/users/${other.username}/followers`, { token: friend.accessToken });
    expect(await usernames(followers)).not.toContain(gone.username);
    const following = await api("GET", `/v1/users/${friend.username}/following`, { token: friend.accessToken });
    expect(await usernames(following)).not.toContain(gone.username);
  });

  it("within the grace period: sign-in works, only /v1/me and restore answer, and restore brings it all back", async () => {
    const [gone, friend] = await Promise.all([createUser(), createUser()]);
    await follow(friend, gone);
    const post = await publish(gone, { caption: "back soon" });
    const due = await deleteAccount(gone);

    const back = await login(gone);
    const res = await me(back);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { deletion_scheduled_for: string | null }).deletion_scheduled_for).toBe(due);
    await expectProblem(await api("GET", "/v1/feed", { token: back.accessToken }), 403, "account_pending_deletion");
    await expectProblem(
      await api("POST", "/v1/posts", { token: back.accessToken, body: { media_ids: ["01X"], caption: "x" } }),
      403,
      "account_pending_deletion",
    );
    await expectProblem(
      await api("GET", `/v1/users/${friend.username}`, { token: back.accessToken }),
      403,
      "account_pending_deletion",
    );
    await expectProblem(
      await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken }),
      404,
      "not_found",
    );

    const restored = await api("POST", "/v1/me/restore", { token: back.accessToken });
    expect(restored.status, await restored.clone().text()).toBe(200);
    expect(((await restored.json()) as { deletion_scheduled_for: string | null }).deletion_scheduled_for).toBeNull();
    await expectProblem(await api("POST", "/v1/me/restore", { token: back.accessToken }), 409, "conflict");
    expect((await api("GET", "/v1/feed", { token: back.accessToken })).status).toBe(200);
    expect((await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken })).status).toBe(200);
    expect((await api("GET", `/v1/posts/${post.id}`, { token: friend.accessToken })).status).toBe(200);
    expect(await feedIds(friend)).toContain(post.id);
  });

  it("after the grace period sign-in is refused as for a wrong password, and restore answers 409", async () => {
    const gone = await createUser();
    await deleteAccount(gone);
    const back = await login(gone);
    await backdateDeletion(gone, 31);
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { login: gone.username, password: gone.password } }),
      401,
      "unauthorized",
    );
    await expectProblem(await api("POST", "/v1/me/restore", { token: back.accessToken }), 409, "conflict");
  });
});
