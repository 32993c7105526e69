import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The FTS5 tables of migration 0017 (docs/search.md), described for queries only. They live
 * outside src/db/schema on purpose: drizzle-kit does not know virtual tables and must never try to
 * create them. `rowid` is the base table's implicit rowid (users, posts).
 */
export const usersFts = sqliteTable("users_fts", {
  rowid: integer("rowid").notNull(),
  username: text("username"),
  display_name: text("display_name"),
});

export const postsFts = sqliteTable("posts_fts", {
  rowid: integer("rowid").notNull(),
  caption: text("caption"),
});

/**
 * User text as one FTS5 phrase: wrapped in double quotes with inner quotes doubled, so `"`, `*`,
 * `NEAR`, `OR`, `#`, `-` and the like are searched for, never interpreted.
 */
export const ftsPhrase = (q: string): string => `"${q.replaceAll('"', '""')}"`;
