/**
 * Who may see what: the product's visibility rules as pure functions of a few facts about the
 * viewer and the owner. Every read path asks these (through policy/index.ts); nothing else in the
 * code re-implements them. A "no" is answered as 404 by callers, as if the thing did not exist.
 *
 * The rules (Instagram's, with Mastodon's StatusPolicy as the reference for blocks):
 * - A block, in either direction, hides each account from the other entirely.
 * - A private account's header (name, avatar, counts) is visible; its content is for approved
 *   followers only.
 * - Audience `public`: anyone (followers only when the account is private); `followers`: approved
 *   followers; `close_friends`: the members of the owner's close-friends list.
 * - The owner always sees their own things.
 * - Moderation (docs/moderation.md) and deletion (docs/accounts.md): a suspended or deleted account,
 *   its profile and everything it made are gone for everyone else; hidden content answers 404 to all but its author and staff, who see it
 *   marked on its single read (the author also in their own grid), and is left out of every list.
 */

export type Audience = "public" | "followers" | "close_friends";

/** What the policy needs to know about one (viewer, owner) pair. */
export interface Relation {
  /** The viewer is the owner. */
  self: boolean;
  /** The viewer is signed in. */
  signedIn: boolean;
  /** The owner's account is private. */
  ownerPrivate: boolean;
  /** The viewer follows the owner (an approved follow). */
  following: boolean;
  /** The owner has the viewer on their close-friends list. */
  closeFriend: boolean;
  /** Either has blocked the other. */
  blocked: boolean;
  /**
   * The owner's account is gone: suspended (`users.suspended_at` set) or deleted by its owner
   * (`users.deleted_at` set). Both hide it the same way (sql.ts `accountGoneSql`).
   */
  ownerSuspended: boolean;
}

/**
 * Is the account shown to the viewer at all, as far as moderation goes? A suspended or deleted
 * account is gone for everyone but itself (its counters stay). (accountShownSql in sql.ts is its twin.)
 */
export function isAccountShown(r: Pick<Relation, "self" | "ownerSuspended">): boolean {
  return r.self || !r.ownerSuspended;
}

/** May the viewer see that the account exists (its profile header)? */
export function canSeeAccount(r: Relation): boolean {
  return r.self || (!r.blocked && isAccountShown(r));
}

/** May the viewer see the account's followers/following lists and its profile grid? */
export function canSeeAccountContent(r: Relation): boolean {
  if (r.self) return true;
  if (r.blocked || !isAccountShown(r)) return false;
  return !r.ownerPrivate || r.following;
}

/** May the viewer see one post (or story) with this audience? */
export function canSeeContent(r: Relation, audience: Audience): boolean {
  if (r.self) return true;
  if (r.blocked || !isAccountShown(r)) return false;
  switch (audience) {
    case "public":
      return !r.ownerPrivate || r.following;
    case "followers":
      return r.following;
    case "close_friends":
      return r.closeFriend;
  }
}

/**
 * May the viewer see a story? `followers` stories are seen by whoever may see the account's
 * content (anyone for a public account, as on Instagram); `close_friends` by the owner's list.
 */
export function canSeeStory(r: Relation, audience: "followers" | "close_friends"): boolean {
  return canSeeContent(r, audience === "followers" ? "public" : "close_friends");
}

/**
 * May the viewer open a story now? The author always; anyone else while it is live (expiry is
 * checked at read time, whatever the tray's alarms have done yet) and its audience admits them.
 */
export function canOpenStory(r: Relation, audience: "followers" | "close_friends", expired: boolean): boolean {
  return r.self || (!expired && canSeeStory(r, audience));
}

/** May the viewer see a story inside a highlight? Highlights keep stories past expiry; the audience still holds. */
export function canSeeHighlightedStory(r: Relation, audience: "followers" | "close_friends"): boolean {
  return canSeeStory(r, audience);
}

/** Does the viewer's story tray show the owner's story? Their own; else a followed, unmuted account's. */
export function canSeeInTray(r: Relation, audience: "followers" | "close_friends", muted: boolean): boolean {
  return r.self || (r.following && !muted && canSeeStory(r, audience));
}

/**
 * Does the viewer's story tray show the owner as live now? Their own session; else a session of an
 * account they follow and have not muted whose audience admits them (the posts' rule).
 */
export function canSeeLiveInTray(r: Relation, audience: Audience, muted: boolean): boolean {
  return r.self || (r.following && !muted && canSeeContent(r, audience));
}

/**
 * Does the viewer's home feed show the owner's post? Their own; else a post of an account they
 * follow and have not muted that they may see. (feedVisibleSql in sql.ts is the twin of this rule
 * together with `canSeeModerated` on a list, as feed.service.ts `feedAllows` asks them.)
 */
export function canSeeInFeed(r: Relation, audience: Audience, muted: boolean): boolean {
  return r.self || (r.following && !muted && canSeeContent(r, audience));
}

/** May the viewer start a conversation with, or send a message to, the owner? */
export function canMessage(r: Pick<Relation, "self" | "signedIn" | "blocked">): boolean {
  return !r.self && r.signedIn && !r.blocked;
}

/**
 * May a member see a conversation? A group, always; a 1:1 not while a block stands between its two
 * members (it reappears, history intact, when the block is lifted). (conversationOpenSql is its twin.)
 */
export function canSeeConversation(kind: "direct" | "group", blockedBetweenMembers: boolean): boolean {
  return kind === "group" || !blockedBetweenMembers;
}

/** May the viewer ask to follow (or follow) the owner? */
export function canFollow(r: Relation): boolean {
  return !r.self && r.signedIn && !r.blocked && isAccountShown(r);
}

/**
 * May something the actor did reach the recipient as a notification? Never one's own actions,
 * never across a block either way, never from an account the recipient has muted. (What it is
 * about is checked separately: the recipient must be able to see the post, `canSeeContent`.)
 */
export function canNotify(r: Pick<Relation, "self" | "blocked">, muted: boolean): boolean {
  return !r.self && !r.blocked && !muted;
}

/**
 * Where a post, comment or story is being read, for the moderation rule:
 * - `read`: its single read (GET /v1/posts/{id}, a story): hidden content shows to its author and
 *   staff, marked;
 * - `grid`: the author's profile grid: hidden posts show to the author, marked;
 * - `list`: every other list (feeds, tags, search, explore, comments, tray, highlights,
 *   notifications): hidden content is left out for everyone, its author included.
 */
export type ModerationSurface = "read" | "grid" | "list";

/** Who reads, for the moderation rule: the author themselves, and whether the caller is staff. */
export interface ModerationViewer {
  self: boolean;
  staff: boolean;
}

/** The moderation facts of one post, comment or story. */
export interface ModerationFacts {
  /** `hidden_at` is set. */
  hidden: boolean;
  /** Its author's account is suspended. */
  authorSuspended: boolean;
}

/** Is the caller staff (a moderator or an admin)? */
export function isStaff(role: string | null | undefined): boolean {
  return role === "moderator" || role === "admin";
}

/**
 * May the viewer see this content on this surface, as far as moderation goes? (The audience rules
 * are asked separately.) A suspended author's content is gone for everyone else; hidden content
 * follows `ModerationSurface`. (contentShownSql in sql.ts is its twin.)
 */
export function canSeeModerated(v: ModerationViewer, f: ModerationFacts, on: ModerationSurface): boolean {
  if (f.authorSuspended && !v.self) return false;
  if (!f.hidden) return true;
  switch (on) {
    case "read":
      return v.self || v.staff;
    case "grid":
      return v.self;
    case "list":
      return false;
  }
}

/** The bio as the viewer sees it: staff may hide it (`bio_hidden_at`), for everyone but the owner. */
export function visibleBio(self: boolean, bio: string, bioHidden: boolean): string {
  return bioHidden && !self ? "" : bio;
}
