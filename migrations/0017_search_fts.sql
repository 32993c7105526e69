-- Full-text search (docs/search.md). Two FTS5 tables with external content, kept in sync by
-- triggers (no CASE in trigger bodies: wrangler's migration splitter breaks on it):
-- - users_fts: username and display name, trigram tokenizer with diacritics removed, so any 3+
--   character substring matches case- and diacritic-insensitively ("jose" finds "José");
-- - posts_fts: captions, unicode61 with diacritics removed (words; "cafe" finds "Café").
-- The rowids are the base tables' implicit rowids. `wrangler d1 export` refuses databases with
-- virtual tables: export base tables with --table, then rebuild with
-- INSERT INTO users_fts(users_fts) VALUES('rebuild') (and the same for posts_fts).
CREATE VIRTUAL TABLE `users_fts` USING fts5(
  `username`, `display_name`, content='users', content_rowid='rowid',
  tokenize='trigram remove_diacritics 1'
);
--> statement-breakpoint
INSERT INTO `users_fts`(`users_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `users_fts_ai` AFTER INSERT ON `users` BEGIN
  INSERT INTO `users_fts`(`rowid`, `username`, `display_name`) VALUES (new.`rowid`, new.`username`, new.`display_name`);
END;
--> statement-breakpoint
CREATE TRIGGER `users_fts_ad` AFTER DELETE ON `users` BEGIN
  INSERT INTO `users_fts`(`users_fts`, `rowid`, `username`, `display_name`) VALUES ('delete', old.`rowid`, old.`username`, old.`display_name`);
END;
--> statement-breakpoint
CREATE TRIGGER `users_fts_au` AFTER UPDATE OF `username`, `display_name` ON `users` BEGIN
  INSERT INTO `users_fts`(`users_fts`, `rowid`, `username`, `display_name`) VALUES ('delete', old.`rowid`, old.`username`, old.`display_name`);
  INSERT INTO `users_fts`(`rowid`, `username`, `display_name`) VALUES (new.`rowid`, new.`username`, new.`display_name`);
END;
--> statement-breakpoint
CREATE VIRTUAL TABLE `posts_fts` USING fts5(
  `caption`, content='posts', content_rowid='rowid',
  tokenize='unicode61 remove_diacritics 2'
);
--> statement-breakpoint
INSERT INTO `posts_fts`(`posts_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `posts_fts_ai` AFTER INSERT ON `posts` BEGIN
  INSERT INTO `posts_fts`(`rowid`, `caption`) VALUES (new.`rowid`, new.`caption`);
END;
--> statement-breakpoint
CREATE TRIGGER `posts_fts_ad` AFTER DELETE ON `posts` BEGIN
  INSERT INTO `posts_fts`(`posts_fts`, `rowid`, `caption`) VALUES ('delete', old.`rowid`, old.`caption`);
END;
--> statement-breakpoint
CREATE TRIGGER `posts_fts_au` AFTER UPDATE OF `caption` ON `posts` BEGIN
  INSERT INTO `posts_fts`(`posts_fts`, `rowid`, `caption`) VALUES ('delete', old.`rowid`, old.`caption`);
  INSERT INTO `posts_fts`(`rowid`, `caption`) VALUES (new.`rowid`, new.`caption`);
END;
