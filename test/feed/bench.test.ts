import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createBenchApp } from "../../src/bench/app";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { publish } from "../helpers/posts";

/** One request into the bench entry's app (the Worker under test is the production entry). */
async function bench(path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createBenchApp().fetch(new Request(`http://localhost${path}`), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("bench routes", () => {
  it("are not in the production Worker", async () => {
    await expectProblem(await api("GET", "/bench/naive-feed?user=x"), 404, "not_found");
    await expectProblem(await api("GET", "/bench/feed-ops?user=x"), 404, "not_found");
    expect(createApp().routes.filter((r) => r.path.startsWith("/bench"))).toEqual([]);
  });

  it("serve the naive pull feed and the counted feed page from the bench entry", async () => {
    const [author, reader] = [await createUser(), await createUser()];
    const published: string[] = [];
    for (let i = 0; i < 20; i++) published.unshift((await publish(author)).id);
    await follow(reader, author); // backfills the author's 20 newest posts: a full page 1

    const naive = await bench(`/bench/naive-feed?user=${reader.id}`);
    expect(naive.status).toBe(200);
    const page = (await naive.json()) as { items: { id: string }[]; next_cursor: null };
    expect(page.items.map((p) => p.id)).toEqual(published);
    expect(await (await bench("/bench/naive-feed?user=nobody")).json()).toEqual({ items: [], next_cursor: null });

    // The figures the bench reports as its regression gate: a full page 1 read with KV cold is one
    // D1 round trip of one statement; warm, one KV get and one D1 statement.
    const cold = await (await bench(`/bench/feed-ops?user=${reader.id}&fresh=1`)).json();
    expect(cold).toMatchObject({ d1_round_trips: 1, d1_statements: 1, kv_gets: 0, kv_puts: 0, items: 20 });
    const filled = await (await bench(`/bench/feed-ops?user=${reader.id}`)).json();
    expect(filled).toMatchObject({ kv_gets: 1, kv_puts: 1, items: 20 });
    const warm = await (await bench(`/bench/feed-ops?user=${reader.id}`)).json();
    expect(warm).toMatchObject({ d1_round_trips: 1, d1_statements: 1, kv_gets: 1, kv_puts: 0, items: 20 });
  });
});
