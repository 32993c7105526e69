import type { Relation } from "./rules";

export * from "./rules";
export * from "./sql";

export interface RelationFacts {
  owner_private: number;
  following: number;
  close_friend: number;
  blocked: number;
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
  };
}
