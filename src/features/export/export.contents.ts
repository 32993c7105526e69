import { blocks, closeFriends, followRequests, follows, mutes } from "../../db/schema";
import type { Platform } from "../../platform";
import { getSettingsJson } from "../notifications/notifications.repo";
import {
  accountRow,
  commentsPage,
  conversationsPage,
  type EdgeTable,
  edgesPage,
  highlightsPage,
  mastersPage,
  postDetails,
  postEdgesPage,
  postsPage,
  storiesPage,
} from "./export.repo";

/*
 * What goes into an export ZIP, as a lazy sequence of files (docs/data-export.md). Nothing is read
 * before the ZIP writer asks for the file it belongs to, and a list file is produced one keyset
 * page at a time, so however big the account, what is held at once is one page of rows or one
 * chunk of an image.
 */

export type ContentDeps = Pick<Platform, "db" | "store" | "realtime">;

/** One ZIP entry, as client-zip takes it: a name, a time, and bytes (a string, a stream or pages). */
export interface ZipEntry {
  name: string;
  lastModified: Date;
  input: string | ReadableStream<Uint8Array> | AsyncIterable<string>;
  size?: number;
}

/** Chat messages read from a room per RPC. */
const MESSAGE_PAGE = 500;

/** Turns keyset pages of rows into JSON Lines, one string per page. */
async function* jsonLines<R, T>(
  page: (after: R | null) => Promise<R[]>,
  line: (rows: R[]) => Promise<T[]> | T[],
): AsyncGenerator<string> {
  let after: R | null = null;
  for (;;) {
    const rows = await page(after);
    if (rows.length === 0) return;
    const lines = await line(rows);
    if (lines.length > 0) yield `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
    after = rows[rows.length - 1] ?? null;
  }
}

const byId =
  <R extends { id: string }>(fetch: (after: string | null) => Promise<R[]>) =>
  (after: R | null) =>
    fetch(after?.id ?? null);

const EDGES: { name: string; edge: EdgeTable; describe: string }[] = [
  {
    name: "following.jsonl",
    edge: {
      table: follows,
      id: follows.id,
      created_at: follows.created_at,
      mine: follows.follower_id,
      other: follows.followee_id,
    },
    describe: "Accounts you follow.",
  },
  {
    name: "followers.jsonl",
    edge: {
      table: follows,
      id: follows.id,
      created_at: follows.created_at,
      mine: follows.followee_id,
      other: follows.follower_id,
    },
    describe: "Accounts that follow you.",
  },
  {
    name: "follow_requests_sent.jsonl",
    edge: {
      table: followRequests,
      id: followRequests.id,
      created_at: followRequests.created_at,
      mine: followRequests.requester_id,
      other: followRequests.target_id,
    },
    describe: "Follow requests you sent that are still waiting.",
  },
  {
    name: "follow_requests_received.jsonl",
    edge: {
      table: followRequests,
      id: followRequests.id,
      created_at: followRequests.created_at,
      mine: followRequests.target_id,
      other: followRequests.requester_id,
    },
    describe: "Follow requests waiting for your answer.",
  },
  {
    name: "blocks.jsonl",
    edge: {
      table: blocks,
      id: blocks.id,
      created_at: blocks.created_at,
      mine: blocks.blocker_id,
      other: blocks.blocked_id,
    },
    describe: "Accounts you blocked.",
  },
  {
    name: "mutes.jsonl",
    edge: { table: mutes, id: mutes.id, created_at: mutes.created_at, mine: mutes.muter_id, other: mutes.muted_id },
    describe: "Accounts you muted.",
  },
  {
    name: "close_friends.jsonl",
    edge: {
      table: closeFriends,
      id: closeFriends.id,
      created_at: closeFriends.created_at,
      mine: closeFriends.user_id,
      other: closeFriends.friend_id,
    },
    describe: "Your close friends list.",
  },
];

/** The README inside the ZIP: what each file holds. */
export function readme(username: string, at: string): string {
  const files = [
    [
      "account.json",
      "Your profile and settings: username, email, name, bio, privacy, counts, role, notification settings, when the account was created. Never your password or any token.",
    ],
    [
      "posts.jsonl",
      "Your posts, one JSON object a line: caption, location, audience, hashtags, mentioned accounts, and the images (media_id; the file is media/<media_id>.webp).",
    ],
    ["comments.jsonl", "Comments you wrote, with the post they are on and the comment they answer."],
    ["likes.jsonl", "Posts you liked, with their author's username."],
    ["saves.jsonl", "Posts you saved."],
    ...EDGES.map((e) => [
      e.name,
      `${e.describe} Each line: the account's id and username (null if it no longer exists) and when.`,
    ]),
    ["stories.jsonl", "Your stories, including expired ones (the archive); the image is media/<media_id>.webp."],
    ["highlights.jsonl", "Your highlights: title and the stories in them, in order."],
    [
      "messages.jsonl",
      "Chat messages you sent, per conversation (id, kind, title), oldest first. Messages other people sent are theirs and are not included.",
    ],
    ["media/<id>.webp", "Your images as stored (the processed master, at most 2048 px, without metadata)."],
  ];
  return [
    `Edgegram data export for @${username}, made ${at}.`,
    "",
    "Files ending in .jsonl are JSON Lines: one JSON object per line. Times are ISO 8601 in UTC; ids are ULIDs, which sort by time.",
    "",
    ...files.map(([name, text]) => `${name}\n  ${text}`),
    "",
  ].join("\n");
}

/** Every file of the account's export, produced lazily in ZIP order. */
export async function* exportEntries(deps: ContentDeps, userId: string, now: Date): AsyncGenerator<ZipEntry> {
  const { db } = deps;
  const at = now.toISOString();
  const account = await accountRow(db, userId);
  if (!account) throw new Error(`export: account ${userId} does not exist`);
  const entry = (name: string, input: ZipEntry["input"]): ZipEntry => ({ name, lastModified: now, input });

  yield entry("README.txt", readme(account.username, at));
  const settings = await getSettingsJson(db, userId);
  yield entry(
    "account.json",
    `${JSON.stringify({ ...account, notification_settings: settings ? (JSON.parse(settings) as unknown) : null, exported_at: at }, null, 2)}\n`,
  );

  yield entry(
    "posts.jsonl",
    jsonLines(
      byId((after) => postsPage(db, userId, after)),
      async (rows) => {
        const { images, tags, mentions } = await postDetails(
          db,
          rows.map((r) => r.id),
        );
        return rows.map((post) => ({
          ...post,
          hashtags: tags.filter((t) => t.post_id === post.id).map((t) => t.tag),
          mentions: mentions.filter((m) => m.post_id === post.id).map((m) => ({ id: m.user_id, username: m.username })),
          media: images
            .filter((i) => i.post_id === post.id)
            .map((i) => ({
              media_id: i.media_id,
              position: i.position,
              alt_text: i.alt_text,
              file: `media/${i.media_id}.webp`,
            })),
        }));
      },
    ),
  );
  yield entry(
    "comments.jsonl",
    jsonLines(
      byId((after) => commentsPage(db, userId, after)),
      (rows) => rows,
    ),
  );
  yield entry(
    "likes.jsonl",
    jsonLines(
      byId((after) => postEdgesPage(db, "likes", userId, after)),
      (rows) => rows,
    ),
  );
  yield entry(
    "saves.jsonl",
    jsonLines(
      byId((after) => postEdgesPage(db, "saves", userId, after)),
      (rows) => rows,
    ),
  );
  for (const { name, edge } of EDGES) {
    yield entry(
      name,
      jsonLines(
        byId((after) => edgesPage(db, edge, userId, after)),
        (rows) => rows,
      ),
    );
  }
  yield entry(
    "stories.jsonl",
    jsonLines(
      byId((after) => storiesPage(db, userId, after)),
      (rows) => rows.map((s) => ({ ...s, file: `media/${s.media_id}.webp` })),
    ),
  );
  yield entry(
    "highlights.jsonl",
    jsonLines(
      byId((after) => highlightsPage(db, userId, after)),
      (rows) => rows,
    ),
  );
  yield entry("messages.jsonl", sentMessages(deps, userId));

  // The images last: each streamed from R2 into the ZIP as the writer reads it.
  let after: { created_at: string; id: string } | null = null;
  for (;;) {
    const page = await mastersPage(db, userId, after);
    if (page.length === 0) break;
    for (const image of page) {
      if (!image.master_key) continue;
      const object = await deps.store.get(image.master_key);
      // Deleted since the page was read (a purged post): nothing to export.
      if (!object) continue;
      yield { name: `media/${image.id}.webp`, lastModified: now, input: object.body, size: object.size };
    }
    const last = page[page.length - 1];
    after = last ? { created_at: last.created_at, id: last.id } : null;
  }
}

/** The messages the account sent, read from each conversation's room in pages. */
async function* sentMessages(deps: ContentDeps, userId: string): AsyncGenerator<string> {
  let after: string | null = null;
  for (;;) {
    const page = await conversationsPage(deps.db, userId, after);
    if (page.length === 0) return;
    for (const conversation of page) {
      const room = deps.realtime.room(conversation.id);
      let afterSeq = 0;
      for (;;) {
        const result = await room.sentMessages(conversation.id, userId, { afterSeq, limit: MESSAGE_PAGE });
        if (!result.ok || result.messages.length === 0) break;
        yield `${result.messages
          .map((m) =>
            JSON.stringify({
              conversation_id: conversation.id,
              conversation_kind: conversation.kind,
              conversation_title: conversation.title,
              id: m.id,
              seq: m.seq,
              body: m.body,
              story_id: m.story_id,
              created_at: m.created_at,
              hidden_by_moderation: m.hidden,
            }),
          )
          .join("\n")}\n`;
        const last = result.messages[result.messages.length - 1];
        if (!last || result.messages.length < MESSAGE_PAGE) break;
        afterSeq = last.seq;
      }
    }
    after = page[page.length - 1]?.id ?? null;
  }
}
