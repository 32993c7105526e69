-- Usernames now follow Instagram's rules (src/features/users/users.schema.ts, docs/security.md C6):
-- 1-30 of [a-z0-9._], no '.' first or last, never two in a row. Names stored before the rule that
-- break it ('.', '..', '.alice', 'alice.', 'a..b') could not be named in a URL path, because dot
-- segments are normalised away, so such accounts could not be blocked, muted or removed.
--
-- Each such account is renamed to 'u_' + its id in lower case (28 characters; ids are 26-character
-- ULIDs of [0-9A-Z], so the name is valid). Renamed names never collide with each other (ids are
-- unique, and the suffixed forms are longer than the plain one). If a valid account already holds
-- the name, the first free of 'u_<id>_1' … 'u_<id>_9' (30 characters) is taken; if all ten are
-- held, the subquery is NULL, the NOT NULL constraint fails and the migration stops, changing
-- nothing, rather than guess. The old name is kept in auth_events ('username_renamed', one row per
-- account, whose id is the account's own id) so support can tell the owner, who still logs in by
-- email.
INSERT INTO `auth_events` (`id`, `user_id`, `kind`, `detail`, `created_at`)
SELECT `id`, `id`, 'username_renamed', 'was ' || `username`, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM `users`
WHERE substr(`username`, 1, 1) = '.'
   OR substr(`username`, -1, 1) = '.'
   OR instr(`username`, '..') > 0
   OR `username` GLOB '*[^a-z0-9._]*'
   OR length(`username`) NOT BETWEEN 1 AND 30;
--> statement-breakpoint
UPDATE `users`
SET `username` = (
  WITH RECURSIVE `s` (`n`) AS (SELECT 0 UNION ALL SELECT `n` + 1 FROM `s` WHERE `n` < 9),
  `candidate` (`n`, `name`) AS (
    SELECT `n`, 'u_' || lower(`users`.`id`) || CASE `n` WHEN 0 THEN '' ELSE '_' || `n` END FROM `s`
  )
  SELECT `name` FROM `candidate`
  WHERE NOT EXISTS (SELECT 1 FROM `users` AS `taken` WHERE `taken`.`username` = `candidate`.`name`)
  ORDER BY `n`
  LIMIT 1
)
WHERE substr(`username`, 1, 1) = '.'
   OR substr(`username`, -1, 1) = '.'
   OR instr(`username`, '..') > 0
   OR `username` GLOB '*[^a-z0-9._]*'
   OR length(`username`) NOT BETWEEN 1 AND 30;
