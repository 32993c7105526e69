import { describe, expect, it } from "vitest";
import {
  canFollow,
  canMessage,
  canOpenStory,
  canSeeAccount,
  canSeeAccountContent,
  canSeeContent,
  canSeeConversation,
  canSeeHighlightedStory,
  canSeeInFeed,
  canSeeInTray,
  canSeeModerated,
  isStaff,
  type Relation,
  visibleBio,
} from "../../src/policy/rules";

const stranger: Relation = {
  self: false,
  signedIn: true,
  ownerPrivate: false,
  following: false,
  closeFriend: false,
  blocked: false,
  ownerSuspended: false,
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

describe("the moderation rules", () => {
  const suspendedFollower: Relation = { ...closeFollower, ownerSuspended: true };
  const suspendedSelf: Relation = { ...self, ownerSuspended: true };

  it("makes a suspended account and its content disappear for everyone but itself", () => {
    expect(canSeeAccount(suspendedFollower)).toBe(false);
    expect(canSeeAccountContent(suspendedFollower)).toBe(false);
    expect(canSeeContent(suspendedFollower, "public")).toBe(false);
    expect(canSeeInFeed(suspendedFollower, "public", false)).toBe(false);
    expect(canSeeInTray(suspendedFollower, "followers", false)).toBe(false);
    expect(canOpenStory(suspendedFollower, "followers", false)).toBe(false);
    expect(canFollow({ ...stranger, ownerSuspended: true })).toBe(false);
    expect(canSeeAccount(suspendedSelf)).toBe(true);
    expect(canSeeContent(suspendedSelf, "close_friends")).toBe(true);
  });

  const author = { self: true, staff: false };
  const staff = { self: false, staff: true };
  const other = { self: false, staff: false };
  const hidden = { hidden: true, authorSuspended: false };
  const shown = { hidden: false, authorSuspended: false };
  const byStaffSuspendedAuthor = { hidden: false, authorSuspended: true };
  it.each([
    ["hidden, single read, the author", author, hidden, "read", true],
    ["hidden, single read, staff", staff, hidden, "read", true],
    ["hidden, single read, anyone else", other, hidden, "read", false],
    ["hidden, own grid, the author", author, hidden, "grid", true],
    ["hidden, grid, staff", staff, hidden, "grid", false],
    ["hidden, a list, the author too", author, hidden, "list", false],
    ["hidden, a list, staff too", staff, hidden, "list", false],
    ["not hidden, a list", other, shown, "list", true],
    ["suspended author, single read, staff", staff, byStaffSuspendedAuthor, "read", false],
    ["suspended author, the author", author, byStaffSuspendedAuthor, "list", true],
  ] as const)("%s", (_name, viewer, facts, on, expected) => {
    expect(canSeeModerated(viewer, facts, on)).toBe(expected);
  });

  it("knows staff by role, and hides a hidden bio from everyone but its owner", () => {
    expect([isStaff("moderator"), isStaff("admin"), isStaff("user"), isStaff(undefined)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(visibleBio(false, "hi", true)).toBe("");
    expect(visibleBio(true, "hi", true)).toBe("hi");
    expect(visibleBio(false, "hi", false)).toBe("hi");
  });
});
