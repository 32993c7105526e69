/*
 * The maths of hashtag pages and trends (docs/search.md "Hashtag pages and trends"), as pure
 * functions so they are tested with hand-computed numbers.
 */

/** `sort=top` ranks the posts of this many days before the first page was read. */
export const TOP_WINDOW_DAYS = 7;
/** …and at most this many of them, the newest (bounded work whatever the tag). */
export const TOP_CANDIDATES = 500;
/** A top post loses 1/e of its weight each this many hours. */
const TOP_RECENCY_HOURS = 24;

/**
 * A post's `top` score: engagement (likes 1, comments 2, saves 3, log-damped so one viral post does
 * not bury the rest) × recency (exponential decay), the ranked feed's formula without affinity (a
 * tag page ranks the same for everyone).
 */
export function topScore(s: { likes: number; comments: number; saves: number; ageHours: number }): number {
  const engagement = 1 + Math.log1p(s.likes + 2 * s.comments + 3 * s.saves);
  return engagement * Math.exp(-Math.max(0, s.ageHours) / TOP_RECENCY_HOURS);
}

/** Past days the expected rate averages over. */
export const TREND_HISTORY_DAYS = 7;
/** The expected uses a day is at least this, so a brand-new tag needs real volume to trend. */
export const EXPECTED_FLOOR = 5;
/** A day scores only with at least this many uses (and more than expected). */
export const MIN_USES = 5;
/** Yesterday's score still counts today, halving every this many hours past midnight (UTC). */
export const CARRY_HALF_LIFE_HOURS = 6;
/** How many trends are kept. */
export const TREND_LIMIT = 20;

/**
 * The expected uses a day from the days before it, `history[0]` the day before, `history[1]` the
 * one before that, …: a weighted average with weight 2^-i for `history[i]` (a missing day is 0
 * uses), so the recent rate counts most, floored at EXPECTED_FLOOR.
 */
export function expectedUses(history: readonly number[]): number {
  let weighted = 0;
  let weights = 0;
  for (let i = 0; i < TREND_HISTORY_DAYS; i++) {
    const w = 0.5 ** i;
    weighted += w * (history[i] ?? 0);
    weights += w;
  }
  return Math.max(EXPECTED_FLOOR, weighted / weights);
}

/**
 * How far a day's uses stand out: (observed − expected)² / expected when observed is above
 * expected and at least MIN_USES (a one-sided chi-square term, Mastodon's trend score), else 0.
 */
export function dayScore(observed: number, expected: number): number {
  return observed >= MIN_USES && observed > expected ? (observed - expected) ** 2 / expected : 0;
}

/**
 * A tag's trend score now, from its uses per day, `uses[0]` today, `uses[1]` yesterday, …
 * (TREND_HISTORY_DAYS + 2 days are read): the larger of today's score and yesterday's decayed by
 * the hours since midnight, so a trend does not vanish at 00:00 while today's count is still small.
 */
export function trendScore(
  uses: readonly number[],
  hoursIntoDay: number,
): { score: number; expected: number; usesToday: number } {
  const usesToday = uses[0] ?? 0;
  const expected = expectedUses(uses.slice(1));
  const today = dayScore(usesToday, expected);
  const yesterday = dayScore(uses[1] ?? 0, expectedUses(uses.slice(2)));
  const carried = yesterday * 0.5 ** (Math.max(0, hoursIntoDay) / CARRY_HALF_LIFE_HOURS);
  return { score: Math.max(today, carried), expected, usesToday };
}

export interface TagUses {
  tag: string;
  /** Uses per day, `uses[0]` today. */
  uses: readonly number[];
}

export interface Trend {
  tag: string;
  rank: number;
  score: number;
  uses_today: number;
  expected: number;
}

/** The TREND_LIMIT tags with a positive score, best first (ties: more uses today, then by name). */
export function rankTrends(tags: readonly TagUses[], hoursIntoDay: number): Trend[] {
  return tags
    .map((t) => ({ tag: t.tag, ...trendScore(t.uses, hoursIntoDay) }))
    .filter((t) => t.score > 0)
    .sort((a, b) => b.score - a.score || b.usesToday - a.usesToday || (a.tag < b.tag ? -1 : 1))
    .slice(0, TREND_LIMIT)
    .map((t, i) => ({ tag: t.tag, rank: i + 1, score: t.score, uses_today: t.usesToday, expected: t.expected }));
}
