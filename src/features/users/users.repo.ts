import { eq } from "drizzle-orm";
import { type UserRow, users } from "../../db/schema";
import type { Db } from "../../platform/db";

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.username, username.toLowerCase()) });
}

export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<Pick<UserRow, "display_name" | "bio" | "is_private" | "avatar_media_id" | "updated_at">>,
): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set(changes).where(eq(users.id, id)).returning();
  return row;
}
