import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { UserHub } from "../../src/durable-objects/user-hub";
import { setClock } from "../../src/platform/clock";
import { ConfigError } from "../../src/platform/config";
import { type Frame, joinHub, sendHttp, startConversation, type TestSocket } from "../helpers/chat";
import { createUser } from "../helpers/factories";

const hubStub = (userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));
const errorCodes = (socket: TestSocket) => socket.of("error").map((f: Frame) => f.code);
const waitErrors = (socket: TestSocket, n: number, what: string) =>
  socket.until((f) => f.filter((x) => x.type === "error").length >= n, what);

/** Freezes the platform clock at the current time until the test moves it; restored after each test. */
function freezeClock(): { advance(ms: number): void } {
  let now = Date.now();
  setClock({ now: () => new Date(now) });
  return {
    advance(ms) {
      now += ms;
    },
  };
}

afterEach(() => setClock(null));

describe("the event hub socket's frame limits (docs/security.md D8)", () => {
  it("closes a hub socket with 1009 on a frame over 8 KB, counted in UTF-8 bytes; other hubs carry on", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const big = await joinHub(ana);
    const wide = await joinHub(ana);
    const other = await joinHub(ben);

    big.send("x".repeat(9000));
    expect((await big.waitClosed()).code).toBe(1009);
    // 3,000 characters of three bytes each: under the cap in UTF-16 units, over it in bytes.
    wide.send("€".repeat(3000));
    expect((await wide.waitClosed()).code).toBe(1009);
    expect(big.of("error")).toEqual([]);

    // Ben's hub never noticed: it answers, and events still reach it.
    other.send("hello");
    await waitErrors(other, 1, "ben's answer");
    expect(errorCodes(other)).toEqual(["invalid_frame"]);
    expect((await sendHttp(ana, convo.id, "still delivered")).status).toBe(201);
    await other.until((f) => f.some((x) => x.type === "message"), "ben's event");
    other.close();
  });

  it("answers 20 frames at one instant with invalid_frame, the 21st with rate_limited, and stays open", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const clock = freezeClock();
    const a = await joinHub(ana);
    const aToo = await joinHub(ana);
    const b = await joinHub(ben);

    for (let i = 0; i < 21; i++) a.send({ type: "hello", n: i });
    await waitErrors(a, 21, "21 answers");
    expect(errorCodes(a)).toEqual([...Array<string>(20).fill("invalid_frame"), "rate_limited"]);
    expect(a.of("error")[20]).toEqual({
      type: "error",
      code: "rate_limited",
      detail: "Slow down: at most 10 frames a second",
    });
    a.send("still too soon");
    await waitErrors(a, 22, "refused again");
    expect(errorCodes(a)[21]).toBe("rate_limited");
    // Pings are answered by the runtime, outside the budget; events still arrive.
    a.send({ type: "ping" });
    await a.until((f) => f.some((x) => x.type === "pong"), "pong");
    expect((await sendHttp(ben, convo.id, "to ana")).status).toBe(201);
    await a.until((f) => f.some((x) => x.type === "message"), "an event while limited");
    expect(a.closed).toBeNull();

    // Each connection has its own budget: Ana's other socket and Ben's hub are unaffected.
    aToo.send("hi");
    b.send("hi");
    await waitErrors(aToo, 1, "ana's other socket");
    await waitErrors(b, 1, "ben's hub");
    expect(errorCodes(aToo)).toEqual(["invalid_frame"]);
    expect(errorCodes(b)).toEqual(["invalid_frame"]);

    // A second later by the platform clock: 10 frames more, and not 11.
    clock.advance(1000);
    for (let i = 0; i < 11; i++) a.send(`later ${i}`);
    await waitErrors(a, 33, "11 more answers");
    expect(errorCodes(a).slice(22)).toEqual([...Array<string>(10).fill("invalid_frame"), "rate_limited"]);
    for (const socket of [a, aToo, b]) socket.close();
  });

  it("keeps a socket's identity through hibernation, which only refills its budget", async () => {
    const ana = await createUser();
    freezeClock();
    const a = await joinHub(ana);
    for (let i = 0; i < 21; i++) a.send(`burst ${i}`);
    await waitErrors(a, 21, "the burst");
    expect(errorCodes(a)[20]).toBe("rate_limited");

    await evictDurableObject(hubStub(ana.id));
    for (let i = 0; i < 21; i++) a.send(`after ${i}`);
    await waitErrors(a, 42, "the burst after hibernation");
    expect(errorCodes(a).slice(21)).toEqual([...Array<string>(20).fill("invalid_frame"), "rate_limited"]);
    a.close();
  });

  it("fails closed with an invalid chat setting: the hub throws a ConfigError as it starts", async () => {
    const ana = await createUser();
    await runInDurableObject(hubStub(ana.id), (_, state) => {
      expect(() => new UserHub(state, { ...env, CHAT_FRAME_BURST: "abc" })).toThrow(ConfigError);
    });
  });
});
