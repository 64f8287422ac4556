import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { runCrashSuite } from "./harness.js";

describe("crash safety (SIGKILL at random points)", () => {
  it("keeps every acknowledged write, applies the in-flight one whole or not at all, and heals the index", async () => {
    const kills = Number(process.env.CRASH_KILLS ?? 20);
    const stats = await runCrashSuite(tempDir("chromalite-crash-"), kills, Number(process.env.CRASH_SEED ?? 7));
    console.log(`crash suite: ${JSON.stringify(stats)}`);
    expect(stats.kills).toBe(kills);
    expect(stats.acknowledgedOps).toBeGreaterThan(kills);
  }, 900_000);
});
