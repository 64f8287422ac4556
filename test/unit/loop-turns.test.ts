import { describe, expect, it } from "vitest";
import { callEnds, chainedCall } from "../../src/util/loop-turns.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("loop turns between calls", () => {
  it("makes a call started in the turn the previous one ended in yield", async () => {
    chainedCall();
    callEnds();
    await Promise.resolve(); // a caller awaiting calls back to back: only a microtask between them
    expect(chainedCall()).toBe(true);
    callEnds();
  });

  it("lets a call started by the event loop, a turn after the last call ended, skip the yield", async () => {
    chainedCall();
    callEnds();
    await turn();
    expect(chainedCall()).toBe(false);
    callEnds();
    expect(chainedCall()).toBe(true); // the caller's next call, in the same turn
    callEnds();
  });

  it("lets a call skip the yield while a long call started earlier is still running", async () => {
    chainedCall();
    callEnds();
    await turn();
    chainedCall(); // a long call: it has not ended when the next request arrives
    await turn();
    await turn();
    expect(chainedCall()).toBe(false);
    callEnds();
    callEnds();
  });
});
