import type { ModerationFacts, Relation } from "./rules";

export * from "./rules";
export * from "./sql";

export interface RelationFacts {
  owner_private: number;
  following: number;
  close_friend: number;
  blocked: number;
  owner_suspended: number;
}

export function relationFromFacts(viewerId: string | null, ownerId: string, facts: RelationFacts): Relation {
  const self = viewerId !== null && viewerId === ownerId;
  const signedIn = viewerId !== null;
  return {
    self,
    signedIn,
    ownerPrivate: facts.owner_private === 1,
    following: signedIn && !self && facts.following === 1,
    closeFriend: signedIn && !self && facts.close_friend === 1,
    blocked: signedIn && !self && facts.blocked === 1,
    ownerSuspended: facts.owner_suspended === 1,
  };
}

/** The moderation facts of a row read with `relationFactsSql` and the content's `hidden_at`. */
export function moderationFromFacts(row: { hidden_at: string | null; owner_suspended: number }): ModerationFacts {
  return { hidden: row.hidden_at !== null, authorSuspended: row.owner_suspended === 1 };
}
