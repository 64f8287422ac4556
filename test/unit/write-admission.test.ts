import { describe, expect, it } from "vitest";
import { WriteAdmission } from "../../src/engine/write-admission.js";
import { TimeoutError } from "../../src/errors.js";
import { OperationScope } from "../../src/util/abort.js";

/** A backlog the test moves by hand; the admission only reads it. */
function gauge(high = 100) {
  const g = { backlog: 0, nudges: 0, stopping: false };
  const admission = new WriteAdmission({
    level: () => g.backlog,
    high,
    nudge: () => void g.nudges++,
    stopped: () => g.stopping,
  });
  return { g, admission };
}

const scope = (timeoutMs = 0) => new OperationScope("add", undefined, timeoutMs);
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("write admission (backpressure in arrival order)", () => {
  it("lets writers straight through while the backlog is under its high mark", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    await admission.admit(scope());
    expect(admission.waiting).toBe(0);
  });

  it("queues writers past the high mark and lets them all go, oldest first, at half of it", async () => {
    const { g, admission } = gauge();
    g.backlog = 150;
    const order: number[] = [];
    const writers = [0, 1, 2].map((i) => admission.admit(scope()).then(() => order.push(i)));
    await tick(20);
    expect(order).toEqual([]);
    expect(admission.waiting).toBe(3);
    expect(g.nudges).toBeGreaterThan(0); // the indexer is asked to run while they wait
    g.backlog = 80; // under the mark but above half: still queued (hysteresis)
    await tick(20);
    expect(order).toEqual([]);
    g.backlog = 50;
    await Promise.all(writers);
    expect(order).toEqual([0, 1, 2]);
    expect(admission.waiting).toBe(0);
  });

  it("a writer arriving while others queue waits behind them, even when the backlog looks low", async () => {
    const { g, admission } = gauge();
    g.backlog = 150;
    const order: string[] = [];
    const first = admission.admit(scope()).then(() => order.push("first"));
    await tick(5);
    g.backlog = 60; // under the mark, not yet at half
    const late = admission.admit(scope()).then(() => order.push("late"));
    await tick(10);
    expect(order).toEqual([]); // no overtaking
    g.backlog = 10;
    await Promise.all([first, late]);
    expect(order).toEqual(["first", "late"]);
  });

  it("a queued writer whose time runs out fails with TimeoutError and leaves the queue", async () => {
    const { g, admission } = gauge();
    g.backlog = 150;
    const s = scope(30);
    await expect(admission.admit(s)).rejects.toBeInstanceOf(TimeoutError);
    s.dispose();
    expect(admission.waiting).toBe(0);
    const other = admission.admit(scope());
    g.backlog = 0;
    await other;
  });

  it("a cancelled writer leaves the queue at once; the others keep their places", async () => {
    const { g, admission } = gauge();
    g.backlog = 150;
    const controller = new AbortController();
    const cancelled = admission.admit(new OperationScope("add", controller.signal, 0));
    const kept = admission.admit(scope());
    await tick(5);
    controller.abort();
    await expect(cancelled).rejects.toThrow();
    expect(admission.waiting).toBe(1);
    g.backlog = 0;
    await kept;
    expect(admission.waiting).toBe(0);
  });

  it("closing lets every queued writer go", async () => {
    const { g, admission } = gauge();
    g.backlog = 150;
    const writers = [admission.admit(scope()), admission.admit(scope())];
    await tick(5);
    g.stopping = true;
    await Promise.all(writers);
    expect(admission.waiting).toBe(0);
  });
});
