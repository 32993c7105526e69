/**
 * Explore's last step before the seen filter's page (docs/search.md): order scored candidates so
 * that an author appears at most once in any AUTHOR_WINDOW consecutive items, and the sources mix
 * (no more than SOURCE_RUN items in a row from one source while another source has candidates).
 * Greedy: at each position take the best-scoring candidate that breaks neither rule; if none
 * qualifies for the source rule, relax it; if none qualifies for the author rule, the rest is left
 * out (a page of one author's posts is not what explore is for). Pure, so it is unit-tested.
 */
export const AUTHOR_WINDOW = 6;
export const SOURCE_RUN = 2;

export interface Scored {
  id: string;
  authorId: string;
  /** The source that contributed most to the score. */
  source: "co_engagement" | "tags" | "trending";
  score: number;
}

export function diversify<T extends Scored>(candidates: T[], limit: number): T[] {
  const pool = [...candidates].sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : -1));
  const out: T[] = [];
  while (out.length < limit && pool.length > 0) {
    const recentAuthors = new Set(out.slice(-(AUTHOR_WINDOW - 1)).map((c) => c.authorId));
    const run = out.slice(-SOURCE_RUN);
    const sameSourceRun = run.length === SOURCE_RUN && run.every((c) => c.source === run[0]?.source);
    const authorOk = (c: T) => !recentAuthors.has(c.authorId);
    let index = pool.findIndex((c) => authorOk(c) && !(sameSourceRun && c.source === run[0]?.source));
    if (index === -1) index = pool.findIndex(authorOk);
    if (index === -1) break;
    const [picked] = pool.splice(index, 1);
    if (picked) out.push(picked);
  }
  return out;
}
