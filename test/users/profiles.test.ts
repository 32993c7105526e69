import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";

describe("GET /v1/me", () => {
  describe("happy", () => {
    it("returns the caller's own account with email and counters", async () => {
      const user = await createUser();
      const res = await api("GET", "/v1/me", { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        id: user.id,
        username: user.username,
        email: user.email,
        is_private: false,
        followers_count: 0,
        following_count: 0,
        posts_count: 0,
      });
      expect(Object.keys(body).sort()).toEqual(
        [
          "avatar",
          "avatar_media_id",
          "bio",
          "created_at",
          "deletion_scheduled_for",
          "display_name",
          "email",
          "email_verified",
          "followers_count",
          "following_count",
          "id",
          "is_private",
          "posts_count",
          "username",
        ].sort(),
      );
    });

    it("accepts a token signed with an older key that is still listed (rotation overlap)", async () => {
      const user = await createUser();
      const { forgeToken, trustedKeys } = await import("../helpers/auth-matrix");
      const old = trustedKeys()[1];
      expect(old).toBeDefined();
      const token = await forgeToken({ sub: user.id, kid: old?.kid, secret: old?.secret });
      expect((await api("GET", "/v1/me", { token })).status).toBe(200);
    });
  });

  describe("errors", () => {
    it("answers 401 for a valid token whose account no longer exists", async () => {
      const user = await createUser();
      await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
      await expectProblem(await api("GET", "/v1/me", { token: user.accessToken }), 401, "unauthorized");
    });
  });
});

describe("PATCH /v1/me", () => {
  describe("happy", () => {
    it("edits display name, bio and privacy", async () => {
      const user = await createUser();
      const res = await api("PATCH", "/v1/me", {
        token: user.accessToken,
        body: { display_name: "  Alice A.  ", bio: "Photos of 🐈", is_private: true },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ display_name: "Alice A.", bio: "Photos of 🐈", is_private: true });
      const again = (await (await api("GET", "/v1/me", { token: user.accessToken })).json()) as Record<string, unknown>;
      expect(again).toMatchObject({ display_name: "Alice A.", is_private: true });
    });

    it("clears the avatar with null", async () => {
      const user = await createUser();
      const res = await api("PATCH", "/v1/me", { token: user.accessToken, body: { avatar_media_id: null } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { avatar_media_id: unknown }).avatar_media_id).toBeNull();
    });
  });

  describe("errors", () => {
    it("answers 422 for mass-assigned fields and changes nothing", async () => {
      const user = await createUser();
      const before = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(user.id).first();
      for (const extra of [
        { role: "admin" },
        { is_verified: true },
        { followers_count: 1e9 },
        { email_verified: true },
        { id: "01JAAAAAAAAAAAAAAAAAAAAAAA" },
        { created_at: "2000-01-01T00:00:00Z" },
        // The email changes only through PATCH /v1/me/email (verified first); the username is
        // editable here (test/account/username.test.ts).
        { email: "taken_over@example.com" },
      ]) {
        const res = await api("PATCH", "/v1/me", { token: user.accessToken, body: { bio: "changed", ...extra } });
        await expectProblem(res, 422, "validation_failed");
      }
      const after = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(user.id).first();
      expect(after).toEqual(before);
    });

    it("answers 422 for a bio over 150 characters, a wrong type, or an unknown media id", async () => {
      const user = await createUser();
      const cases = [
        { bio: "b".repeat(151) },
        { is_private: "yes" },
        { display_name: 5 },
        { avatar_media_id: "01JBBBBBBBBBBBBBBBBBBBBBBB" },
      ];
      for (const body of cases) {
        const problem = await expectProblem(
          await api("PATCH", "/v1/me", { token: user.accessToken, body }),
          422,
          "validation_failed",
        );
        expect(problem.errors?.[0]?.path).toBe(Object.keys(body)[0]);
      }
    });
  });
});

describe("GET /v1/users/{username}", () => {
  it("shows a profile with counters and the caller's relationship", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await env.DB.prepare("UPDATE users SET followers_count = 7, posts_count = 3 WHERE id = ?").bind(alice.id).run();
    const res = await api("GET", `/v1/users/${alice.username.toUpperCase()}`, { token: bob.accessToken });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: alice.id,
      username: alice.username,
      followers_count: 7,
      following_count: 0,
      posts_count: 3,
      is_private: false,
      relationship: { following: false, followed_by: false, requested: false, blocking: false },
    });
    // Counters come from the maintained columns, and private fields never appear.
    expect(body).not.toHaveProperty("email");
    expect(body).not.toHaveProperty("password_hash");
  });

  it("answers anonymous callers with relationship null", async () => {
    const alice = await createUser();
    const res = await api("GET", `/v1/users/${alice.username}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { relationship: unknown }).relationship).toBeNull();
  });

  it("answers 404 for an unknown username and 401 for a bad token", async () => {
    await expectProblem(await api("GET", "/v1/users/no_such_user_xyz"), 404, "not_found");
    const alice = await createUser();
    await expectProblem(
      await api("GET", `/v1/users/${alice.username}`, { headers: { authorization: "Bearer nope" } }),
      401,
      "unauthorized",
    );
  });
});
