import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SessionRevokedError, sessionGuarded, withSession } from "../../src/platform/session-guard";
import { createUser } from "../helpers/factories";
import { login } from "../helpers/staff";

/*
 * The session check riding on a request's first D1 call (docs/moderation.md "Sessions that end at
 * once"), driven directly: each way a first call can go out (batch, single statement, column-ordered
 * read, write with RETURNING), with a live and with an ended session.
 */

async function sessionOf(user: { accessToken: string }) {
  const [, payload] = user.accessToken.split(".");
  const claims = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as {
    sub: string;
    sid: string;
    role: string;
  };
  return { userId: claims.sub, sessionId: claims.sid, role: claims.role };
}

const d1 = sessionGuarded(env.DB);
const scratch = "CREATE TABLE IF NOT EXISTS guard_scratch (id TEXT PRIMARY KEY, note TEXT NOT NULL)";

describe("the session check on the first D1 call", () => {
  it("lets every kind of first call through for a live session, rows intact (duplicate column names too)", async () => {
    const user = await login(await createUser());
    await env.DB.prepare(scratch).run();
    await withSession(await sessionOf(user), async () => {
      // A column-ordered read with two columns named `id`: runs beside the check, rows as read.
      const rows = await d1
        .prepare("SELECT u.id, r.id FROM users u JOIN refresh_tokens r ON r.user_id = u.id WHERE u.id = ?1 LIMIT 1")
        .bind(user.id)
        .raw();
      expect(rows[0]?.[0]).toBe(user.id);
      expect(rows[0]?.[1]).not.toBe(user.id);
    });
    await withSession(await sessionOf(user), async () => {
      const row = await d1
        .prepare("WITH me AS (SELECT id FROM users WHERE id = ?1) SELECT id FROM me")
        .bind(user.id)
        .first();
      expect(row).toEqual({ id: user.id });
    });
    await withSession(await sessionOf(user), async () => {
      const written = await d1
        .prepare("INSERT INTO guard_scratch (id, note) VALUES (?1, 'live') RETURNING id, note")
        .bind(`${user.id}-live`)
        .raw();
      expect(written).toEqual([[`${user.id}-live`, "live"]]);
    });
  });

  it("refuses every kind of first call of an ended session, and a write commits nothing", async () => {
    const user = await login(await createUser());
    await env.DB.prepare(scratch).run();
    const claims = await sessionOf(user);
    await env.DB.prepare("UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2")
      .bind(new Date().toISOString(), claims.sessionId)
      .run();
    const insert = (suffix: string) =>
      d1.prepare("INSERT INTO guard_scratch (id, note) VALUES (?1, 'ended') RETURNING id").bind(`${user.id}-${suffix}`);
    const attempts: [string, () => Promise<unknown>][] = [
      ["raw write", () => insert("raw").raw()],
      ["run", () => insert("run").run()],
      ["batch", () => d1.batch([insert("batch")])],
      ["raw read", () => d1.prepare("SELECT id FROM users WHERE id = ?1").bind(user.id).raw()],
      ["first", () => d1.prepare("SELECT id FROM users WHERE id = ?1").bind(user.id).first()],
    ];
    for (const [what, call] of attempts) {
      await expect(withSession(claims, call), what).rejects.toBeInstanceOf(SessionRevokedError);
    }
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM guard_scratch WHERE id LIKE ?1")
      .bind(`${user.id}-%`)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("is not asked outside a request's session (queue consumers, crons, Durable Objects)", async () => {
    const row = await d1.prepare("SELECT 1 AS one").first();
    expect(row).toEqual({ one: 1 });
  });
});
