import { describe, expect, it } from "vitest";
import { callEnds, callStarts } from "../../src/util/loop-turns.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("loop turns between calls", () => {
  it("makes a call started in the turn the previous one ended in yield", async () => {
    await turn();
    callStarts();
    callEnds();
    await Promise.resolve(); // a caller awaiting calls back to back: only a microtask between them
    expect(callStarts()).toBe(true);
    callEnds();
  });

  it("lets a call that arrives after an idle turn skip the yield, once", async () => {
    callStarts();
    callEnds();
    await turn();
    await turn();
    expect(callStarts()).toBe(false);
    callEnds();
    expect(callStarts()).toBe(true);
    callEnds();
  });

  it("does not count a turn taken while a call was running as idle", async () => {
    callStarts();
    await turn();
    await turn();
    expect(callStarts()).toBe(true); // the first call is still running
    callEnds();
    callEnds();
  });
});
