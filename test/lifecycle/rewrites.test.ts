import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { rng } from "../helpers/rng.js";
import { tempDir } from "../helpers/tmp.js";

/**
 * A collection whose records are rewritten again and again (upserts of new embeddings): every record
 * stays findable by its own vector, queries during the rewrites see the latest vectors, and the graph
 * is compacted, so its files stay the size of the live records rather than of every vector ever written.
 */
const DIM = 8;
const N = 2000;

function batch(random: () => number, round: number) {
  const ids = Array.from({ length: N }, (_, i) => `r${i}`);
  const embeddings = ids.map(() => Array.from({ length: DIM }, () => random() * 2 - 1));
  return { ids, embeddings, metadatas: ids.map(() => ({ round })) };
}

function graphFileSize(dir: string): number {
  const root = path.join(dir, "index");
  const [collection] = fs.readdirSync(root);
  const folder = path.join(root, collection!);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, "index.json"), "utf8")) as { graph: { size: number } };
  return manifest.graph.size;
}

describe("rewrites", () => {
  it("keep every record findable by its latest vector, during and after, and the graph compacted", async () => {
    const dir = tempDir();
    const random = rng(11);
    let client = new PersistentClient({ path: dir });
    try {
      let c = await client.createCollection({ name: "churn", metadata: { "hnsw:space": "l2" } });
      let latest = batch(random, 0);
      await c.add(latest);
      await c.waitForIndexing();
      await client.close();
      const firstSize = graphFileSize(dir);

      client = new PersistentClient({ path: dir });
      c = await client.getCollection({ name: "churn" });
      for (let round = 1; round <= 15; round++) {
        latest = batch(random, round);
        await c.upsert(latest);
        // Right after each write, while indexing and compaction run: the latest vectors answer.
        for (let probe = 0; probe < 20; probe++) {
          const i = Math.floor(random() * N);
          const q = await c.query({ queryEmbeddings: [latest.embeddings[i]!], nResults: 3, include: ["distances", "metadatas"] });
          expect(q.ids[0]![0], `round ${round}, r${i}`).toBe(`r${i}`);
          expect(q.distances[0]![0]).toBe(0);
          expect(q.metadatas[0]![0]).toEqual({ round });
        }
      }
      await c.waitForIndexing();
      const misses: string[] = [];
      for (let i = 0; i < N; i++) {
        const q = await c.query({ queryEmbeddings: [latest.embeddings[i]!], nResults: 1 });
        if (q.ids[0]![0] !== `r${i}`) misses.push(`r${i}`);
      }
      expect(misses).toEqual([]);
      expect(await c.count()).toBe(N);
      await client.close();
      // 16 vectors written per record: without compaction the graph would hold 16 N elements.
      expect(graphFileSize(dir)).toBeLessThan(3 * firstSize);

      client = new PersistentClient({ path: dir });
      c = await client.getCollection({ name: "churn" });
      const q = await c.query({ queryEmbeddings: [latest.embeddings[7]!], nResults: 1, include: ["distances"] });
      expect(q.ids).toEqual([["r7"]]);
      expect(q.distances).toEqual([[0]]);
    } finally {
      await client.close();
    }
  });

  it("a close in the middle of rewrites (indexing and compaction under way) keeps every latest vector", async () => {
    const dir = tempDir();
    const random = rng(13);
    let client = new PersistentClient({ path: dir });
    let latest = batch(random, 0);
    try {
      const c = await client.createCollection({ name: "churn", metadata: { "hnsw:space": "l2" } });
      await c.add(latest);
      for (let round = 1; round <= 6; round++) {
        latest = batch(random, round);
        await c.upsert(latest);
      }
      await client.close(); // no wait for indexing first
      client = new PersistentClient({ path: dir });
      const again = await client.getCollection({ name: "churn" });
      for (let i = 0; i < N; i += 7) {
        const q = await again.query({ queryEmbeddings: [latest.embeddings[i]!], nResults: 1, include: ["distances", "metadatas"] });
        expect(q.ids[0], `r${i}`).toEqual([`r${i}`]);
        expect(q.distances[0]).toEqual([0]);
        expect(q.metadatas[0]).toEqual([{ round: 6 }]);
      }
    } finally {
      await client.close();
    }
  });
});
