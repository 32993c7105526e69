/*
 * The relationship facts as SQL, for queries that decide visibility beside the rows they read.
 * Each piece takes two SQL expressions (a bound parameter such as `?1`, or a qualified column such
 * as `u.id`) and is written once here, so a rule read in SQL cannot drift between queries.
 * rules.ts decides from the same facts; a test compares the SQL feed rule with it case by case.
 */

/** `follower` follows `followee`. */
export const followsSql = (follower: string, followee: string) =>
  `EXISTS (SELECT 1 FROM follows WHERE follower_id = ${follower} AND followee_id = ${followee})`;

/** `friend` is on `owner`'s close-friends list. */
export const closeFriendSql = (owner: string, friend: string) =>
  `EXISTS (SELECT 1 FROM close_friends WHERE user_id = ${owner} AND friend_id = ${friend})`;

/** `muter` has muted `muted`. */
export const mutesSql = (muter: string, muted: string) =>
  `EXISTS (SELECT 1 FROM mutes WHERE muter_id = ${muter} AND muted_id = ${muted})`;

/** A block stands between the two, either way. */
export const blockedEitherWaySql = (a: string, b: string) =>
  `EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a}))`;

/** The facts about (viewer, owner) as SQL columns, read as `RelationFacts`. */
export function relationFactsSql(viewerParam: string, ownerColumn: string, ownerPrivateColumn: string): string {
  return `${ownerPrivateColumn} AS owner_private,
    ${followsSql(viewerParam, ownerColumn)} AS following,
    ${closeFriendSql(ownerColumn, viewerParam)} AS close_friend,
    ${blockedEitherWaySql(viewerParam, ownerColumn)} AS blocked`;
}

/**
 * The home feed's rule as an SQL predicate (the twin of feed.service's `feedAllows`, which applies
 * rules.ts to the facts above): the viewer's own posts, or posts of an account the viewer follows,
 * has not muted, and is not blocked by or blocking, whose audience admits the viewer (close-friends
 * posts need the owner's list). Following implies access to a private account's content, so
 * `public` and `followers` need nothing more.
 */
export function feedVisibleSql(viewerParam: string, post: string): string {
  const author = `${post}.author_id`;
  return `(${author} = ${viewerParam} OR (
    ${followsSql(viewerParam, author)}
    AND NOT ${mutesSql(viewerParam, author)}
    AND NOT ${blockedEitherWaySql(viewerParam, author)}
    AND (${post}.audience <> 'close_friends' OR ${closeFriendSql(author, viewerParam)})))`;
}
