/**
 * When a compaction starts (engine/graph-compaction.ts), against a stand-in for the graph whose
 * compaction can be made to fail: the native build never fails on purpose.
 */
import { describe, expect, it } from "vitest";
import { GraphCompaction } from "../../src/engine/graph-compaction.js";
import type { HnswIndex } from "../../src/vector/hnsw-index.js";

class FakeGraph {
  compactions = 0;
  constructor(
    public deadCount: number,
    public liveCount: number,
    public outcome: () => Promise<void>,
  ) {}
  compact(): Promise<void> {
    this.compactions++;
    return this.outcome();
  }
  cancelCompaction(): void {}
}

/** Runs startIfDue and resolves once the attempt it started (if any) has ended. */
function attempt(compaction: GraphCompaction, graph: FakeGraph): Promise<boolean> {
  const before = graph.compactions;
  return new Promise((resolve) => {
    compaction.startIfDue(graph as unknown as HnswIndex, () => resolve(true));
    if (graph.compactions === before) resolve(false);
  });
}

const failing = () => Promise.reject(new Error("std::bad_alloc"));
const succeeding = () => Promise.resolve();

describe("graph compaction", () => {
  it("starts once the dead elements are as many as the live ones, however few", async () => {
    const compaction = new GraphCompaction({}, "c");
    expect(await attempt(compaction, new FakeGraph(0, 0, succeeding))).toBe(false);
    expect(await attempt(compaction, new FakeGraph(9, 10, succeeding))).toBe(false);
    expect(await attempt(compaction, new FakeGraph(1500, 1501, succeeding))).toBe(false);
    expect(await attempt(new GraphCompaction({}, "c"), new FakeGraph(10, 10, succeeding))).toBe(true);
    const due = new FakeGraph(1500, 1500, succeeding);
    expect(await attempt(compaction, due)).toBe(true);
    expect(compaction.built).toBe(true);
  });

  it("after a failure, waits until the dead elements have doubled before it tries again", async () => {
    const warnings: unknown[] = [];
    const compaction = new GraphCompaction({ warn: (fields: unknown) => void warnings.push(fields) }, "c");
    const graph = new FakeGraph(1000, 100, failing);
    expect(await attempt(compaction, graph)).toBe(true);
    expect(compaction.active).toBe(false);
    expect(compaction.built).toBe(false);
    expect(warnings).toHaveLength(1);
    // Every batch asks again: none starts until the dead elements reach twice the failed attempt's.
    graph.deadCount = 1999;
    expect(await attempt(compaction, graph)).toBe(false);
    graph.deadCount = 2000;
    graph.outcome = succeeding;
    expect(await attempt(compaction, graph)).toBe(true);
    expect(graph.compactions).toBe(2);
    expect(compaction.built).toBe(true);
  });

  it("a success clears the back-off, and a cancelled compaction sets none", async () => {
    const compaction = new GraphCompaction({}, "c");
    const graph = new FakeGraph(1000, 100, failing);
    await attempt(compaction, graph);
    graph.deadCount = 2000;
    graph.outcome = succeeding;
    await attempt(compaction, graph);
    compaction.adopt({ adoptCompacted: () => true, params: { dimension: 2 } } as unknown as HnswIndex, null, () => {});
    graph.deadCount = 1000;
    graph.outcome = () => Promise.reject(new Error("compaction cancelled"));
    expect(await attempt(compaction, graph)).toBe(true);
    expect(await attempt(compaction, graph)).toBe(true);
    expect(graph.compactions).toBe(4);
  });
});
