import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { blocks, closeFriends, conversationMembers, follows, mutes } from "../db/schema";

/*
 * The relationship facts as SQL, for queries that decide visibility beside the rows they read.
 * Each piece takes two operands: a value (bound as a parameter, such as the viewer's id) or a
 * column of the outer query (a drizzle column, usually of an alias such as `u.id`). Each fact is
 * written once here, so a rule read in SQL cannot drift between queries; rules.ts decides from the
 * same facts, and tests compare each SQL rule with its pure twin case by case.
 */
type Operand = SQLWrapper | string;

/** `follower` follows `followee`. */
export const followsSql = (follower: Operand, followee: Operand): SQL =>
  sql`EXISTS (SELECT 1 FROM ${follows} WHERE ${follows.follower_id} = ${follower} AND ${follows.followee_id} = ${followee})`;

/** `friend` is on `owner`'s close-friends list. */
export const closeFriendSql = (owner: Operand, friend: Operand): SQL =>
  sql`EXISTS (SELECT 1 FROM ${closeFriends} WHERE ${closeFriends.user_id} = ${owner} AND ${closeFriends.friend_id} = ${friend})`;

/** `muter` has muted `muted`. */
export const mutesSql = (muter: Operand, muted: Operand): SQL =>
  sql`EXISTS (SELECT 1 FROM ${mutes} WHERE ${mutes.muter_id} = ${muter} AND ${mutes.muted_id} = ${muted})`;

/** A block stands between the two, either way. */
export const blockedEitherWaySql = (a: Operand, b: Operand): SQL =>
  sql`EXISTS (SELECT 1 FROM ${blocks} WHERE (${blocks.blocker_id} = ${a} AND ${blocks.blocked_id} = ${b}) OR (${blocks.blocker_id} = ${b} AND ${blocks.blocked_id} = ${a}))`;

/** The facts about (viewer, owner) as select-list columns, read back as `RelationFacts`. */
export function relationFactsSql(viewer: string, owner: SQLWrapper, ownerPrivate: SQLWrapper): SQL {
  return sql`${ownerPrivate} AS owner_private,
    ${followsSql(viewer, owner)} AS following,
    ${closeFriendSql(owner, viewer)} AS close_friend,
    ${blockedEitherWaySql(viewer, owner)} AS blocked`;
}

/**
 * The home feed's rule as an SQL predicate over a post's author and audience columns (the twin of
 * rules.ts `canSeeInFeed`): the viewer's own posts, or posts of an account the viewer follows, has
 * not muted, and is not blocked by or blocking, whose audience admits the viewer (close-friends
 * posts need the owner's list). Following implies access to a private account's content, so
 * `public` and `followers` need nothing more.
 */
export function feedVisibleSql(viewer: string, post: { author_id: SQLWrapper; audience: SQLWrapper }): SQL {
  const author = post.author_id;
  return sql`(${author} = ${viewer} OR (
    ${followsSql(viewer, author)}
    AND NOT ${mutesSql(viewer, author)}
    AND NOT ${blockedEitherWaySql(viewer, author)}
    AND (${post.audience} <> 'close_friends' OR ${closeFriendSql(author, viewer)})))`;
}

/** A block stands between `member` and another member of the conversation, either way. */
export function blockedInConversationSql(conversationId: Operand, member: Operand): SQL {
  const o = alias(conversationMembers, "o");
  return sql`EXISTS (SELECT 1 FROM ${conversationMembers} ${o}
    WHERE ${o.conversation_id} = ${conversationId} AND ${o.user_id} <> ${member} AND ${blockedEitherWaySql(member, o.user_id)})`;
}

/**
 * `member` may see the conversation (the twin of rules.ts `canSeeConversation`): a group always, a
 * 1:1 unless a block stands between its two members.
 */
export function conversationVisibleSql(conversation: { id: SQLWrapper; kind: SQLWrapper }, member: Operand): SQL {
  return sql`(${conversation.kind} <> 'direct' OR NOT ${blockedInConversationSql(conversation.id, member)})`;
}
