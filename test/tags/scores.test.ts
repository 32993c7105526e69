import { describe, expect, it } from "vitest";
import {
  dayScore,
  EXPECTED_FLOOR,
  expectedUses,
  rankTrends,
  TREND_LIMIT,
  topScore,
  trendScore,
} from "../../src/features/tags/scores";

// The weights 2^-i over 7 days sum to 1 + 1/2 + … + 1/64 = 127/64 = 1.984375.
const WEIGHTS = 127 / 64;

describe("expected uses", () => {
  it("is the decayed average of the previous days, floored", () => {
    expect(expectedUses([10, 10, 10, 10, 10, 10, 10])).toBeCloseTo(10, 10);
    // 20·1 + 10·0.5 = 25, over 1.984375.
    expect(expectedUses([20, 10])).toBeCloseTo(25 / WEIGHTS, 10);
    expect(25 / WEIGHTS).toBeCloseTo(12.5984, 4);
    // A brand-new tag (no history) and a rare one are held to the floor.
    expect(expectedUses([])).toBe(EXPECTED_FLOOR);
    expect(expectedUses([4])).toBe(5);
    // Only 7 days count: an 8th is ignored.
    expect(expectedUses([10, 10, 10, 10, 10, 10, 10, 1000])).toBeCloseTo(10, 10);
  });
});

describe("day score", () => {
  it("is (observed − expected)² / expected above expected, with a minimum volume", () => {
    expect(dayScore(30, 10)).toBe(40);
    expect(dayScore(15, 5)).toBe(20);
    expect(dayScore(10, 10)).toBe(0);
    expect(dayScore(8, 10)).toBe(0);
    // Above a (hypothetical) low expectation but under 5 uses: not a trend.
    expect(dayScore(4, 1)).toBe(0);
  });
});

describe("trend score", () => {
  it("takes today's score, or yesterday's halved every 6 hours past midnight", () => {
    // Today 30 against 10 a day: 40.
    expect(trendScore([30, 10, 10, 10, 10, 10, 10, 10, 10], 12)).toEqual({ score: 40, expected: 10, usesToday: 30 });
    // Yesterday 21 against the floor 5: 16²/5 = 51.2; 12 hours later, a quarter of it: 12.8.
    const carried = trendScore([0, 21], 12);
    expect(carried.score).toBeCloseTo(12.8, 10);
    expect(carried.expected).toBeCloseTo(21 / WEIGHTS, 10);
    // At midnight yesterday's counts in full; today's wins when larger.
    expect(trendScore([0, 21], 0).score).toBeCloseTo(51.2, 10);
    // Today 15 with expected 21/1.984375 = 10.58: (15 − 10.58)²/10.58 = 1.846; yesterday's 51.2 after 3 h: 36.2.
    expect(trendScore([15, 21], 3).score).toBeCloseTo(51.2 * 0.5 ** 0.5, 10);
  });

  it("ranks positive scores, best first, at most 20, ties by uses today then name", () => {
    const trends = rankTrends(
      [
        { tag: "steady", uses: [10, 10, 10, 10, 10, 10, 10, 10, 10] },
        { tag: "b", uses: [15] },
        { tag: "a", uses: [30, 10, 10, 10, 10, 10, 10, 10] },
        { tag: "tie2", uses: [15] },
        { tag: "tie1", uses: [15] },
      ],
      12,
    );
    expect(trends.map((t) => [t.tag, t.rank, t.score])).toEqual([
      ["a", 1, 40],
      ["b", 2, 20],
      ["tie1", 3, 20],
      ["tie2", 4, 20],
    ]);
    const many = rankTrends(
      Array.from({ length: 30 }, (_, i) => ({ tag: `t${i}`, uses: [10 + i] })),
      0,
    );
    expect(many).toHaveLength(TREND_LIMIT);
    expect(many[0]?.tag).toBe("t29");
  });
});

describe("top score", () => {
  it("is (1 + ln(1 + likes + 2·comments + 3·saves)) · e^(−age/24h)", () => {
    expect(topScore({ likes: 0, comments: 0, saves: 0, ageHours: 0 })).toBe(1);
    expect(topScore({ likes: 1, comments: 1, saves: 1, ageHours: 0 })).toBeCloseTo(1 + Math.log(7), 10);
    expect(topScore({ likes: 1, comments: 1, saves: 1, ageHours: 24 })).toBeCloseTo((1 + Math.log(7)) / Math.E, 10);
    // A future timestamp (clock skew) counts as new, not as a boost.
    expect(topScore({ likes: 0, comments: 0, saves: 0, ageHours: -5 })).toBe(1);
  });
});
