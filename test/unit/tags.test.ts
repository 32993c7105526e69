import { describe, expect, it } from "vitest";
import { extractHashtags, extractMentions } from "../../src/features/posts/tags";

// Runs in Node, where the clock advances during synchronous work (inside workerd it does not).
describe("hashtag and mention extraction", () => {
  it.each([
    ["#Café and #CAFÉ", ["café"]],
    ["#日本 #東京2024", ["日本", "東京2024"]],
    ["#ｔｅｓｔ (fullwidth)", ["test"]],
    ["a#b &#39; mail#x", []],
    ["#123 #_ #a_1", ["a_1"]],
    ["end.#tag, (#paren)", ["tag", "paren"]],
  ])("reads %j", (caption, tags) => {
    expect(extractHashtags(caption)).toEqual(tags);
  });

  it.each([
    ["hi @User.Name.", ["user.name"]],
    ["mail me at a@b.com", []],
    ["@a @A @b_c", ["a", "b_c"]],
    ["(@paren) @x..", ["paren", "x"]],
  ])("reads mentions in %j", (caption, names) => {
    expect(extractMentions(caption)).toEqual(names);
  });

  it.each([
    ["#".repeat(100_000)],
    ["@".repeat(100_000)],
    ["#a".repeat(50_000)],
    [`#${"a".repeat(99_999)}`],
    ["#\u200d".repeat(50_000)],
    [`${"@a.".repeat(33_000)}!`],
  ])("stays linear on adversarial input (%#)", (input) => {
    const started = performance.now();
    extractHashtags(input);
    extractMentions(input);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
