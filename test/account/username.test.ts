import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser, type TestUser, uniqueUsername } from "../helpers/factories";

afterEach(() => setClock(null));

const rename = (user: TestUser, username: string) =>
  api("PATCH", "/v1/me", { token: user.accessToken, body: { username } });
const signup = (username: string) =>
  api("POST", "/v1/auth/signup", {
    body: { username, email: `${uniqueUsername()}@example.com`, password: "correct horse" },
  });

describe("PATCH /v1/me {username}", () => {
  it("renames (case-insensitively, stored lower case); the profile answers at the new name only", async () => {
    const user = await createUser();
    const next = uniqueUsername("New");
    const res = await rename(user, next);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { username: string }).username).toBe(next.toLowerCase());
    expect((await api("GET", `/v1/users/${next.toLowerCase()}`)).status).toBe(200);
    await expectProblem(await api("GET", `/v1/users/${user.username}`), 404, "not_found");
  });

  it("holds the old name for 14 days for everyone else; its former owner may take it back", async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    const old = user.username;
    expect((await rename(user, uniqueUsername("moved"))).status).toBe(200);
    await expectProblem(await signup(old), 409, "conflict");
    await expectProblem(await rename(other, old), 409, "conflict");
    // 14 days later it is free.
    const later = Date.now() + 14 * 24 * 3600_000 + 60_000;
    setClock({ now: () => new Date(later) });
    expect((await rename(other, old)).status).toBe(200);
  });

  it("lets the former owner take the old name back within the 14 days", async () => {
    const user = await createUser();
    const old = user.username;
    expect((await rename(user, uniqueUsername("tmp"))).status).toBe(200);
    const back = await rename(user, old);
    expect(back.status, await back.clone().text()).toBe(200);
    expect(((await back.json()) as { username: string }).username).toBe(old);
  });

  it("answers 409 for a taken name and 422 for one breaking sign-up's rules, changing nothing", async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    await expectProblem(await rename(user, other.username.toUpperCase()), 409, "conflict");
    for (const bad of ["a..b", ".a", "al-ice", "a".repeat(31), ""]) {
      const problem = await expectProblem(await rename(user, bad), 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["username"]);
    }
    const me = (await (await api("GET", "/v1/me", { token: user.accessToken })).json()) as { username: string };
    expect(me.username).toBe(user.username);
  });

  it("rate-limits renames: the fourth in a minute is a 429", WAITS_FOR_A_WINDOW, async () => {
    const user = await createUser();
    await startInOneWindow(60, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await rename(user, uniqueUsername("r"))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
