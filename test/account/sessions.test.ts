import { describe, expect, it } from "vitest";
import { summarizeUserAgent } from "../../src/features/account/user-agent";
import { api, expectProblem, freshIp } from "../helpers/api";
import { joinHub } from "../helpers/chat";
import { createUser, type SessionBody, type TestUser } from "../helpers/factories";

const CHROME_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string;
  current: boolean;
}

async function signIn(user: TestUser, userAgent: string): Promise<TestUser> {
  const res = await api("POST", "/v1/auth/login", {
    body: { login: user.username, password: user.password },
    headers: { "user-agent": userAgent },
    ip: freshIp(),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as SessionBody;
  return { ...user, accessToken: body.access_token, refreshToken: body.refresh_token };
}

async function sessions(user: TestUser): Promise<SessionInfo[]> {
  const res = await api("GET", "/v1/me/sessions", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: SessionInfo[] }).items;
}

const me = (user: TestUser) => api("GET", "/v1/me", { token: user.accessToken });

describe("sessions", () => {
  it("lists each live session with its sign-in, last use, user-agent summary and `current`", async () => {
    const user = await createUser();
    const mac = await signIn(user, CHROME_MAC);
    const win = await signIn(user, FIREFOX_WIN);
    const list = await sessions(mac);
    expect(list).toHaveLength(3);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    expect(list.map((s) => s.user_agent).sort()).toEqual(["Chrome on macOS", "Firefox on Windows", "Unknown browser"]);
    const macRow = list.find((s) => s.user_agent === "Chrome on macOS");
    expect(macRow?.current).toBe(true);
    expect(macRow?.last_used_at).toBe(macRow?.created_at);

    // A refresh keeps the session (same id, same sign-in time) and moves its last use.
    await new Promise((r) => setTimeout(r, 5));
    const rotated = await api("POST", "/v1/auth/refresh", { body: { refresh_token: win.refreshToken } });
    expect(rotated.status).toBe(200);
    const winRow = (await sessions(mac)).find((s) => s.user_agent === "Firefox on Windows");
    const before = list.find((s) => s.user_agent === "Firefox on Windows");
    expect(winRow?.id).toBe(before?.id);
    expect(winRow?.created_at).toBe(before?.created_at);
    expect(winRow && before && winRow.last_used_at > before.last_used_at).toBe(true);
    // Never the raw header.
    expect(JSON.stringify(await sessions(mac))).not.toContain("AppleWebKit");
  });

  it("ends one session: its access token is refused at once, its socket closed", async () => {
    const user = await createUser();
    const other = await signIn(user, FIREFOX_WIN);
    const socket = await joinHub(other);
    const target = (await sessions(user)).find((s) => !s.current);
    expect(target).toBeDefined();
    const res = await api("DELETE", `/v1/me/sessions/${target?.id}`, { token: user.accessToken });
    expect(res.status, await res.clone().text()).toBe(204);
    await expectProblem(await me(other), 401, "unauthorized");
    await expectProblem(
      await api("POST", "/v1/auth/refresh", { body: { refresh_token: other.refreshToken } }),
      401,
      "unauthorized",
    );
    expect((await socket.waitClosed()).code).toBe(4001);
    expect((await me(user)).status).toBe(200);
    expect((await sessions(user)).map((s) => s.current)).toEqual([true]);
    // Ended already: 404.
    await expectProblem(
      await api("DELETE", `/v1/me/sessions/${target?.id}`, { token: user.accessToken }),
      404,
      "not_found",
    );
  });

  it("answers 404 for another account's session and leaves it alone", async () => {
    const [user, stranger] = await Promise.all([createUser(), createUser()]);
    const [theirs] = await sessions(stranger);
    await expectProblem(
      await api("DELETE", `/v1/me/sessions/${theirs?.id}`, { token: user.accessToken }),
      404,
      "not_found",
    );
    expect((await me(stranger)).status).toBe(200);
  });

  it("revoke-others ends every session but the caller's", async () => {
    const user = await createUser();
    const a = await signIn(user, CHROME_MAC);
    const b = await signIn(user, FIREFOX_WIN);
    const res = await api("POST", "/v1/me/sessions/revoke-others", { token: a.accessToken });
    expect(res.status).toBe(204);
    await expectProblem(await me(user), 401, "unauthorized");
    await expectProblem(await me(b), 401, "unauthorized");
    expect((await me(a)).status).toBe(200);
    const left = await sessions(a);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ current: true, user_agent: "Chrome on macOS" });
  });

  it("summarises user agents simply, reading at most 200 characters", () => {
    expect(summarizeUserAgent(CHROME_MAC)).toBe("Chrome on macOS");
    expect(summarizeUserAgent(FIREFOX_WIN)).toBe("Firefox on Windows");
    expect(
      summarizeUserAgent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iOS");
    expect(summarizeUserAgent("curl/8.5.0")).toBe("curl");
    expect(summarizeUserAgent(undefined)).toBe("Unknown browser");
    expect(summarizeUserAgent(`${"x".repeat(200)} Chrome/1 Windows`)).toBe("Unknown browser");
  });
});
