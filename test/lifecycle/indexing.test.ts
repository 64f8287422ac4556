import fs from "node:fs";
import path from "node:path";
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { rng } from "../helpers/rng.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

/**
 * Indexing that keeps up (issue 10): the event loop turns between awaited calls, the background
 * indexer progresses under a saturating stream of calls, in-flight batches never lose or resurrect a
 * change, and close leaves the folder indexed.
 */

function vectors(n: number, dim: number, seed: number): number[][] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
}

async function addAll(c: { add(args: { ids: string[]; embeddings: number[][] }): Promise<unknown> }, embeddings: number[][], prefix = "r") {
  for (let i = 0; i < embeddings.length; i += 1000) {
    const slice = embeddings.slice(i, i + 1000);
    await c.add({ ids: slice.map((_, j) => `${prefix}${i + j}`), embeddings: slice });
  }
}

describe("the event loop turns", () => {
  for (const op of ["query", "get", "count", "add"] as const) {
    it(`a 100 ms timer fires during a 2 s loop of awaited ${op} calls, not after it`, async () => {
      const { client } = tempClient();
      const c = await client.createCollection({ name: "loop" });
      await addAll(c, vectors(2000, 16, 1));
      const query = vectors(1, 16, 2)[0]!;
      let calls = 0;
      let callsWhenFired = -1;
      const timer = setTimeout(() => (callsWhenFired = calls), 100);
      const end = Date.now() + 2000;
      while (Date.now() < end) {
        if (op === "query") await c.query({ queryEmbeddings: [query], nResults: 5 });
        else if (op === "get") await c.get({ ids: ["r1"] });
        else if (op === "count") await c.count();
        else await c.add({ ids: [`x${calls}`], embeddings: [query] });
        calls++;
      }
      clearTimeout(timer);
      // It fired while the loop ran, with many calls still to come.
      expect(callsWhenFired).toBeGreaterThan(0);
      expect(calls - callsWhenFired).toBeGreaterThan(calls / 4);
    });
  }
});

describe("a queue of writers", () => {
  it("lets the event loop turn between the transactions queued behind a long one", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "writers" });
    const big = vectors(5000, 256, 8); // its transaction spans many slices: the small ones queue behind it
    const small = vectors(100, 256, 9);
    const long = c.add({ ids: big.map((_, i) => `big${i}`), embeddings: big });
    await new Promise((r) => setImmediate(r));
    let done = 0;
    let finished = false;
    const seen = new Set<number>();
    const tick = () => {
      seen.add(done);
      if (!finished) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all([long, ...small.map((e, i) => c.add({ ids: [`s${i}`], embeddings: [e] }).then(() => void done++))]);
    finished = true;
    expect(done).toBe(100);
    // Handed the write mutex in microtasks, the 100 ran back to back: the loop saw 0, then 100.
    expect(seen.size).toBeGreaterThan(50);
  });
});

describe("background indexing progresses under load", () => {
  it("a saturating loop of awaited queries: the indexed count rises between polls until all are indexed", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "busy" });
    const data = vectors(20_000, 32, 3);
    await addAll(c, data);
    const query = data[17]!;
    const seen: number[] = [];
    // Poll every 50 queries; the loop never pauses. Bounded by a count of polls, not by time.
    for (let poll = 0; poll < 20_000; poll++) {
      for (let i = 0; i < 50; i++) await c.query({ queryEmbeddings: [query], nResults: 10 });
      const status = await c.getIndexingStatus();
      seen.push(status.num_indexed_ops);
      if (status.num_unindexed_ops === 0) break;
    }
    expect(seen[seen.length - 1]).toBe(20_000);
    // Progress between polls, not in one jump at the end.
    const distinct = new Set(seen).size;
    expect(distinct).toBeGreaterThan(2);
  });

  it("under back-to-back writes and queries together, every vector is indexed and found", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "mixed" });
    const data = vectors(12_000, 24, 4);
    const writes = addAll(c, data);
    let queries = 0;
    let done = false;
    void writes.then(() => (done = true));
    while (!done) {
      await c.query({ queryEmbeddings: [data[queries % 100]!], nResults: 3 });
      queries++;
    }
    await writes;
    await c.waitForIndexing();
    const status = await c.getIndexingStatus();
    expect(status.num_unindexed_ops).toBe(0);
    expect(status.num_indexed_ops).toBe(12_000);
    expect(queries).toBeGreaterThan(0);
  });
});

describe("changes while a batch is in flight", () => {
  it("updates and deletes that race the background inserts are neither lost nor resurrected", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "race" });
    const n = 6000;
    const first = vectors(n, 16, 5);
    const second = vectors(n, 16, 6);
    await addAll(c, first);
    // While the indexer works through the first vectors: rewrite a third, delete a sixth, in small steps.
    const rewritten = new Set<number>();
    const deleted = new Set<number>();
    for (let i = 0; i < n; i += 3) {
      if (i % 2 === 0) {
        await c.upsert({ ids: [`r${i}`], embeddings: [second[i]!] });
        rewritten.add(i);
      } else {
        await c.delete({ ids: [`r${i}`] });
        deleted.add(i);
      }
    }
    const check = async () => {
      for (let i = 0; i < n; i += 7) {
        const res = await c.query({ queryEmbeddings: [rewritten.has(i) ? second[i]! : first[i]!], nResults: 1, include: ["distances"] });
        if (deleted.has(i)) {
          expect(res.ids[0]![0]).not.toBe(`r${i}`);
        } else {
          expect(res.ids[0]![0]).toBe(`r${i}`);
          expect(res.distances[0]![0]).toBeLessThan(1e-4);
        }
      }
    };
    await check(); // pending and graph together
    await c.waitForIndexing();
    await check(); // graph only
    const status = await c.getIndexingStatus();
    expect(status.num_unindexed_ops).toBe(0);
    expect(await c.count()).toBe(n - deleted.size);
    // No deleted record is reachable through HNSW, however many neighbours are asked for.
    const all = await c.query({ queryEmbeddings: [first[1]!], nResults: n, include: [] });
    const returned = new Set(all.ids[0]);
    for (const i of deleted) expect(returned.has(`r${i}`)).toBe(false);
    expect(returned.size).toBe(n - deleted.size);
  });
});

describe("abort listeners", () => {
  it("1,000 concurrent calls sharing one signal leave no listener behind and print no MaxListeners warning", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "signals" });
    await addAll(c, vectors(500, 8, 7));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const controller = new AbortController();
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) {
        calls.push(
          i % 4 === 0
            ? c.add({ ids: [`n${i}`], embeddings: [[i, 1, 2, 3, 4, 5, 6, 7]], signal: controller.signal })
            : c.query({ queryEmbeddings: [[1, 2, 3, 4, 5, 6, 7, 8]], nResults: 3, signal: controller.signal }),
        );
      }
      await Promise.all(calls);
      await new Promise((resolve) => setImmediate(resolve));
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});

describe("short-lived processes", () => {
  it("close indexes what is pending, so the next open finds the folder indexed", async () => {
    const dir = tempDir();
    const data = vectors(20_000, 32, 8);
    const progress: number[] = [];
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "short" });
      await addAll(c, data);
      await client.close({ onProgress: (p) => progress.push(p.pending) });
    }
    const collectionDir = fs.readdirSync(path.join(dir, "index"))[0]!;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "index", collectionDir, "index.json"), "utf8")) as { liveCount: number };
    expect(manifest.liveCount).toBe(20_000);
    for (let round = 0; round < 3; round++) {
      const client = new PersistentClient({ path: dir });
      const c = await client.getCollection({ name: "short" });
      const status = await c.getIndexingStatus();
      expect(status.num_unindexed_ops).toBe(0);
      const res = await c.query({ queryEmbeddings: [data[42]!], nResults: 1 });
      expect(res.ids[0]![0]).toBe("r42");
      await client.close();
    }
    // Progress was reported on the way, falling.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]!).toBeLessThanOrEqual(progress[0]!);
  });

  it("close({ cancel: true }) does not wait for indexing; the next open catches up", async () => {
    const dir = tempDir();
    const data = vectors(5000, 32, 9);
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "quick" });
      await addAll(c, data);
      await client.close({ cancel: true });
    }
    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.getCollection({ name: "quick" });
      const res = await c.query({ queryEmbeddings: [data[7]!], nResults: 1 });
      expect(res.ids[0]![0]).toBe("r7");
      await c.waitForIndexing();
      expect((await c.getIndexingStatus()).num_indexed_ops).toBe(5000);
    } finally {
      await client.close();
    }
  });
});
