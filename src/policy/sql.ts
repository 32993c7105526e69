import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { blocks, closeFriends, conversationMembers, follows, mutes } from "../db/schema";
import type { ModerationSurface } from "./rules";

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

/**
 * The columns of an account's users row that say whether it is gone (docs/moderation.md,
 * docs/accounts.md): suspended by staff, or deleted by its owner (in its grace period, or waiting
 * for its purge). Both hide the account and everything it made in exactly the same way.
 */
export interface AccountState {
  suspended_at: SQLWrapper;
  deleted_at: SQLWrapper;
}

/** For a query whose account was already checked (by `canSeeAccountContent`): never gone here. */
export const ACCOUNT_CHECKED: AccountState = { suspended_at: sql`NULL`, deleted_at: sql`NULL` };

/** The account is gone: suspended or deleted (the `ownerSuspended` fact of rules.ts). */
export function accountGoneSql(account: AccountState): SQL {
  return sql`(${account.suspended_at} IS NOT NULL OR ${account.deleted_at} IS NOT NULL)`;
}

/**
 * The facts about (viewer, owner) as select-list columns, read back as `RelationFacts`, from the
 * owner's `is_private` column and its account state (of the users row the query already joins).
 */
export function relationFactsSql(
  viewer: string,
  owner: SQLWrapper,
  ownerPrivate: SQLWrapper,
  ownerAccount: AccountState,
): SQL {
  return sql`${ownerPrivate} AS owner_private, ${accountGoneSql(ownerAccount)} AS owner_suspended,
    ${followsSql(viewer, owner)} AS following,
    ${closeFriendSql(owner, viewer)} AS close_friend,
    ${blockedEitherWaySql(viewer, owner)} AS blocked`;
}

/**
 * The home feed's rule as an SQL predicate over a post's author, audience and hidden columns and
 * its author's account state (the twin of rules.ts `canSeeInFeed` with `canSeeModerated` on a
 * list): the viewer's own posts, or posts of an account the viewer follows, has not muted, and is
 * not blocked by or blocking, whose audience admits the viewer (close-friends posts need the
 * owner's list). Following implies access to a private account's content, so `public` and
 * `followers` need nothing more. Hidden posts and gone (suspended or deleted) authors' posts never show in a feed.
 */
export function feedVisibleSql(
  viewer: string,
  post: { author_id: SQLWrapper; audience: SQLWrapper; hidden_at: SQLWrapper },
  authorAccount: AccountState,
): SQL {
  const author = post.author_id;
  return sql`(${contentShownSql(viewer, post, authorAccount, "list")} AND (${author} = ${viewer} OR (
    ${followsSql(viewer, author)}
    AND NOT ${mutesSql(viewer, author)}
    AND NOT ${blockedEitherWaySql(viewer, author)}
    AND (${post.audience} <> 'close_friends' OR ${closeFriendSql(author, viewer)}))))`;
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

/**
 * The account in `u` is shown to `viewer` ("" for anonymous) as far as moderation goes: not
 * gone (suspended or deleted), or the viewer's own (the twin of rules.ts `isAccountShown`). A
 * predicate on the users row the query already joins, so it adds no lookup.
 */
export function accountShownSql(viewer: string, u: { id: SQLWrapper } & AccountState): SQL {
  return sql`(NOT ${accountGoneSql(u)} OR ${u.id} = ${viewer})`;
}

/**
 * A post, comment or story may be shown to `viewer` ("" for anonymous) on surface `on`, as far as
 * moderation goes (the twin of rules.ts `canSeeModerated`): its author (`authorAccount`, the
 * joined users row) is not gone (suspended or deleted) unless the viewer is the author, and hidden content
 * only where the surface allows it. `staff` only matters for a single read.
 */
export function contentShownSql(
  viewer: string,
  content: { author_id: SQLWrapper; hidden_at: SQLWrapper },
  authorAccount: AccountState,
  on: ModerationSurface,
  staff = false,
): SQL {
  const self = sql`${content.author_id} = ${viewer}`;
  const active = sql`(NOT ${accountGoneSql(authorAccount)} OR ${self})`;
  const unhidden = sql`${content.hidden_at} IS NULL`;
  if (on === "list") return sql`(${active} AND ${unhidden})`;
  if (on === "read" && staff) return active;
  return sql`(${active} AND (${unhidden} OR ${self}))`;
}
