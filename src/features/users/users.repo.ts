import { eq } from "drizzle-orm";
import { type UserRow, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import type { Staged } from "../../platform/outbox";

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.username, username.toLowerCase()) });
}

/** The profile change, with `staged` jobs (a bio's automatic check) in the same batch when given. */
export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<Pick<UserRow, "display_name" | "bio" | "is_private" | "avatar_media_id" | "updated_at">>,
  staged?: Staged,
): Promise<UserRow | undefined> {
  const update = db.update(users).set(changes).where(eq(users.id, id)).returning();
  if (!staged) return (await update)[0];
  const [rows] = await db.batch([update, staged.statement]);
  return rows[0];
}
