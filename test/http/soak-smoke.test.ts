import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// `npm run soak` (bench/soak.mjs, README "Benchmarks") for a few seconds with a small population,
// so the script keeps working as the API changes: it starts its own workerd on 127.0.0.1 through
// Miniflare (not this project's `wrangler dev`), drives every operation of its mix, reconciles,
// and exits 0 only with no 5xx and nothing lost. SOAK_RESULTS=off leaves bench/results alone.
const root = path.join(import.meta.dirname, "..", "..");

function runSoak(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bench/soak.mjs"], {
      cwd: root,
      env: {
        ...process.env,
        SOAK_SECONDS: "8",
        SOAK_WARMUP_SECONDS: "2",
        SOAK_USERS: "10",
        SOAK_RESULTS: "off",
        // The script's own hard stop, well inside this test's timeout.
        SOAK_GRACE_SECONDS: "150",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("npm run soak, briefly", () => {
  it("drives the whole mix with no 5xx and nothing lost", { timeout: 240_000 }, async () => {
    const { code, output } = await runSoak();
    expect(code, output.slice(-6000)).toBe(0);
    expect(output).toContain("soak: PASS");
    // Every kind of operation in the mix ran at least once in set-up or load.
    expect(output).toMatch(/checked: [1-9]\d* chat messages/);
  });
});
