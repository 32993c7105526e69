import { describe, expect, it } from "vitest";
import { AUTHOR_WINDOW, diversify, type Scored } from "../../src/features/explore/diversify";
import { combine, SOURCE_WEIGHTS } from "../../src/features/explore/explore.service";

const c = (id: string, authorId: string, source: Scored["source"], score: number): Scored => ({
  id,
  authorId,
  source,
  score,
});

describe("diversify", () => {
  it("keeps an author out of any window of 6, and mixes sources", () => {
    const input = [
      c("a1", "a", "trending", 10),
      c("a2", "a", "trending", 9),
      c("b1", "b", "trending", 8),
      c("c1", "c", "trending", 7),
      c("d1", "d", "tags", 1),
      c("e1", "e", "trending", 6),
    ];
    const out = diversify(input, 10).map((x) => x.id);
    // After two trending picks the tags candidate comes next; a's second post waits out the window.
    expect(out).toEqual(["a1", "b1", "d1", "c1", "e1"]);
    expect(out).not.toContain("a2");
  });

  it("lets an author back after the window", () => {
    const many = Array.from({ length: AUTHOR_WINDOW }, (_, i) => c(`x${i}`, `u${i}`, "tags", 10 - i));
    const out = diversify([...many, c("again", "u0", "tags", 0.5)], 20).map((x) => x.id);
    expect(out.at(-1)).toBe("again");
  });
});

describe("combine", () => {
  it("scales each source by its best signal, weights and sums it, and names the strongest source", () => {
    const scores = combine({
      co_engagement: [
        { id: "p", signal: 4 },
        { id: "q", signal: 2 },
      ],
      tags: [{ id: "q", signal: 3 }],
      trending: [],
    });
    expect(scores.get("p")).toEqual({ score: SOURCE_WEIGHTS.co_engagement, source: "co_engagement" });
    expect(scores.get("q")?.score).toBeCloseTo(0.5 * SOURCE_WEIGHTS.co_engagement + SOURCE_WEIGHTS.tags);
    expect(scores.get("q")?.source).toBe("tags");
  });
});
