/**
 * Hashtags and mentions from a caption, Unicode-aware (`#Café`, `#日本`, `@user.name`). Each
 * pattern is a single character class under one quantifier, so matching is linear in the caption
 * length: no input can make it backtrack (docs/security.md D5).
 *
 * - A hashtag is `#` then letters, marks, digits or `_`, not glued to a preceding word character
 *   (so `a#b` and `&#39;` are not tags). Stored NFKC-normalised and lower-cased: `#Café` and
 *   `#CAFÉ` are one tag.
 * - A mention is `@` then a username (`[a-z0-9._]`, 1-30, case-insensitive), not glued to a
 *   preceding word character (so emails are not mentions); trailing dots end the sentence.
 */
const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&])#([\p{L}\p{M}\p{N}_]{1,100})/gu;
const MENTION = /(?<![\p{L}\p{M}\p{N}_.@])@([A-Za-z0-9._]{1,30})/gu;

export function extractHashtags(caption: string): string[] {
  const tags = new Set<string>();
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = (match[1] ?? "").normalize("NFKC").toLowerCase();
    // A tag of digits alone (#1) is a number, not a topic.
    if (tag && !/^[\p{N}_]+$/u.test(tag)) tags.add(tag);
  }
  return [...tags];
}

/** One hashtag as stored: letters, marks, digits or `_`, 1-100 characters, not digits alone. */
const STORED_TAG = /^[\p{L}\p{M}\p{N}_]{1,100}$/u;

/**
 * A hashtag named by a client (a URL's `{tag}`) as posts store it: NFKC, lower case, one leading
 * `#` dropped; null when it is not a tag `extractHashtags` could have stored.
 */
export function normaliseTag(raw: string): string | null {
  const tag = raw.replace(/^#/, "").normalize("NFKC").toLowerCase();
  return STORED_TAG.test(tag) && !/^[\p{N}_]+$/u.test(tag) ? tag : null;
}

export function extractMentions(caption: string): string[] {
  const names = new Set<string>();
  for (const match of caption.matchAll(MENTION)) {
    const name = (match[1] ?? "").toLowerCase().replace(/\.+$/, "");
    if (name) names.add(name);
  }
  return [...names];
}
