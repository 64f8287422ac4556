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
  it("lets writers straight through while the backlog and the room they hold stay under the mark", async () => {
    const { g, admission } = gauge();
    g.backlog = 50;
    const a = await admission.admit(30, scope());
    const b = await admission.admit(20, scope()); // 50 + 30 + 20 = 100: fits
    expect(admission.waiting).toBe(0);
    let third = false;
    const c = admission.admit(10, scope()).then((done) => ((third = true), done));
    await tick(10);
    expect(third).toBe(false); // 110 would not fit
    a();
    (await c)();
    expect(third).toBe(true);
    b();
  });

  it("queued writers go one by one, oldest first, as the indexer frees room (no burst)", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    const order: number[] = [];
    const held: (() => void)[] = [];
    const writers = [0, 1, 2].map((i) => admission.admit(40, scope()).then((done) => (order.push(i), held.push(done))));
    await tick(20);
    expect(order).toEqual([]);
    expect(admission.waiting).toBe(3);
    expect(g.nudges).toBeGreaterThan(0); // the indexer is asked to run while they wait
    g.backlog = 50; // room for one writer of 40, not two
    await tick(20);
    expect(order).toEqual([0]);
    g.backlog = 0; // room for two more (40 held + 40 + 40 = 120 > 100: only one)
    await tick(20);
    expect(order).toEqual([0, 1]);
    held[0]!(); // the first committed: its room is free
    await Promise.all(writers);
    expect(order).toEqual([0, 1, 2]);
    for (const done of held) done();
  });

  it("a writer arriving while others queue waits behind them, even when it would fit", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    const order: string[] = [];
    const big = admission.admit(60, scope()).then((done) => (order.push("big"), done));
    await tick(5);
    g.backlog = 55; // a small writer would fit now, the big one not
    const small = admission.admit(10, scope()).then((done) => (order.push("small"), done));
    await tick(20);
    expect(order).toEqual([]); // no overtaking
    g.backlog = 0;
    for (const done of await Promise.all([big, small])) done();
    expect(order).toEqual(["big", "small"]);
  });

  it("one batch larger than the mark still goes, alone, once the backlog is down to half", async () => {
    const { g, admission } = gauge();
    g.backlog = 70;
    let admitted = false;
    const huge = admission.admit(500, scope()).then((done) => ((admitted = true), done));
    await tick(10);
    expect(admitted).toBe(false);
    g.backlog = 50;
    (await huge)();
    expect(admitted).toBe(true);
  });

  it("a queued writer whose time runs out fails with TimeoutError, leaves the queue and holds nothing", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    const s = scope(30);
    await expect(admission.admit(10, s)).rejects.toBeInstanceOf(TimeoutError);
    s.dispose();
    expect(admission.waiting).toBe(0);
    g.backlog = 0;
    (await admission.admit(100, scope()))(); // all the room is free again
  });

  it("a cancelled writer leaves the queue at once; the others keep their places", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    const controller = new AbortController();
    const cancelled = admission.admit(10, new OperationScope("add", controller.signal, 0));
    const kept = admission.admit(10, scope());
    await tick(5);
    controller.abort();
    await expect(cancelled).rejects.toThrow();
    expect(admission.waiting).toBe(1);
    g.backlog = 0;
    (await kept)();
    expect(admission.waiting).toBe(0);
  });

  it("holding keeps a write's room until it ends, and gives it back when the write fails", async () => {
    const { g, admission } = gauge();
    g.backlog = 0;
    let inside = false;
    const queued: string[] = [];
    const first = admission.holding(80, scope(), async () => {
      inside = true;
      const second = admission.holding(40, scope(), () => Promise.resolve(void queued.push("second")));
      await tick(10);
      expect(queued).toEqual([]); // 80 held + 40 > 100: waits for the first to end
      throw Object.assign(new Error("write failed"), { second });
    });
    const err = (await first.catch((e: unknown) => e)) as Error & { second: Promise<void> };
    expect(inside).toBe(true);
    expect(err.message).toBe("write failed");
    await err.second; // its room came back with the failure
    expect(queued).toEqual(["second"]);
  });

  it("closing lets every queued writer go", async () => {
    const { g, admission } = gauge();
    g.backlog = 100;
    const writers = [admission.admit(10, scope()), admission.admit(10, scope())];
    await tick(5);
    g.stopping = true;
    for (const done of await Promise.all(writers)) done();
    expect(admission.waiting).toBe(0);
  });
});
