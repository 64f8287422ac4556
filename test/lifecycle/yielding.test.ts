/**
 * Long work runs in slices and lets the event loop turn between them (README, Lifecycle). Counted,
 * not timed: a callback re-queued with setImmediate runs once per turn of the loop, so work that held
 * the loop from start to end would see it run about once, and sliced work sees it run many times.
 */
import { describe, expect, it } from "vitest";
import { tempClient } from "../helpers/tmp.js";

/** Runs `fn` and counts the turns of the event loop that other callbacks got meanwhile. */
async function turnsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await fn(), turns };
  } finally {
    running = false;
  }
}

describe("long work yields to the event loop", () => {
  it("in bulk writes, index builds, large reads and deletes", async () => {
    const { client } = tempClient({ maxBatchSize: 50_000 });
    const c = await client.createCollection({ name: "slices" });
    const n = 30_000;
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    const embeddings = ids.map((_, i) => Array.from({ length: 32 }, (_, j) => Math.sin(i * 7 + j)));
    const metadatas = ids.map((_, i) => ({ group: i % 10 }));
    const write = await turnsDuring(() => c.add({ ids, embeddings, metadatas }));
    expect(write.turns, "bulk add").toBeGreaterThan(5);
    const index = await turnsDuring(() => c.waitForIndexing());
    expect(index.turns, "index build").toBeGreaterThan(5);
    const read = await turnsDuring(() => c.get({ include: ["embeddings", "metadatas"] }));
    expect(read.value.ids).toHaveLength(n);
    expect(read.turns, "large get").toBeGreaterThan(5);
    const remove = await turnsDuring(() => c.delete({ where: { group: { $ne: 0 } } }));
    expect(remove.value.deleted).toBe(27_000);
    expect(remove.turns, "large delete").toBeGreaterThan(5);
  });
});
