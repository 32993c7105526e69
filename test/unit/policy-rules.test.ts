import { describe, expect, it } from "vitest";
import {
  canMessage,
  canOpenStory,
  canSeeConversation,
  canSeeHighlightedStory,
  canSeeInFeed,
  canSeeInTray,
  type Relation,
} from "../../src/policy/rules";

const stranger: Relation = {
  self: false,
  signedIn: true,
  ownerPrivate: false,
  following: false,
  closeFriend: false,
  blocked: false,
};
const follower: Relation = { ...stranger, following: true };
const closeFollower: Relation = { ...follower, closeFriend: true };
const self: Relation = { ...stranger, self: true };
const privateFollower: Relation = { ...follower, ownerPrivate: true };
const privateStranger: Relation = { ...stranger, ownerPrivate: true };
const blockedFollower: Relation = { ...closeFollower, blocked: true };
const anonymous: Relation = { ...stranger, signedIn: false };

describe("the home feed rule", () => {
  it.each([
    ["own post, any audience", self, "close_friends", false, true],
    ["own post even if (oddly) muted", self, "public", true, true],
    ["followed public account", follower, "public", false, true],
    ["followed account, followers audience", follower, "followers", false, true],
    ["followed account, close friends, not on the list", follower, "close_friends", false, false],
    ["followed account, close friends, on the list", closeFollower, "close_friends", false, true],
    ["followed but muted", follower, "public", true, false],
    ["not followed public account (the feed is follows only)", stranger, "public", false, false],
    ["approved follower of a private account", privateFollower, "followers", false, true],
    ["a block either way", blockedFollower, "public", false, false],
  ] as const)("%s", (_name, r, audience, muted, shown) => {
    expect(canSeeInFeed(r, audience, muted)).toBe(shown);
  });
});

describe("the story rules", () => {
  it.each([
    ["tray: own story", canSeeInTray(self, "close_friends", false), true],
    ["tray: followed account's story", canSeeInTray(follower, "followers", false), true],
    ["tray: muted account", canSeeInTray(follower, "followers", true), false],
    [
      "tray: not followed, although the story is visible on the profile",
      canSeeInTray(stranger, "followers", false),
      false,
    ],
    ["tray: close friends story, not on the list", canSeeInTray(follower, "close_friends", false), false],
    ["tray: close friends story, on the list", canSeeInTray(closeFollower, "close_friends", false), true],
    ["tray: blocked", canSeeInTray(blockedFollower, "followers", false), false],
    ["open: public account's live story, anyone signed in or not", canOpenStory(anonymous, "followers", false), true],
    ["open: expired, someone else", canOpenStory(follower, "followers", true), false],
    ["open: expired, the author", canOpenStory(self, "close_friends", true), true],
    ["open: private account, not a follower", canOpenStory(privateStranger, "followers", false), false],
    [
      "open: close friends story for a close friend who does not follow",
      canOpenStory({ ...stranger, closeFriend: true }, "close_friends", false),
      true,
    ],
    ["highlight: past expiry, the audience still holds", canSeeHighlightedStory(follower, "followers"), true],
    ["highlight: close friends story, not on the list", canSeeHighlightedStory(follower, "close_friends"), false],
    ["highlight: blocked", canSeeHighlightedStory(blockedFollower, "followers"), false],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("the messaging rules", () => {
  it("lets signed-in people message anyone they have no block with, but not themselves", () => {
    expect(canMessage(stranger)).toBe(true);
    expect(canMessage(privateStranger)).toBe(true);
    expect(canMessage(blockedFollower)).toBe(false);
    expect(canMessage(self)).toBe(false);
    expect(canMessage(anonymous)).toBe(false);
  });

  it("hides a 1:1 across a block, never a group", () => {
    expect(canSeeConversation("direct", false)).toBe(true);
    expect(canSeeConversation("direct", true)).toBe(false);
    expect(canSeeConversation("group", true)).toBe(true);
  });
});
