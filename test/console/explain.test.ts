/**
 * Explain in process: `collection.explain` returns `query`'s result and, per query, the plan the
 * reader actually ran, one case per plan (thresholds from src/engine/reader.ts).
 */
import { describe, expect, it } from "vitest";
import { rng } from "../helpers/rng.js";
import { tempClient } from "../helpers/tmp.js";

function vectors(n: number, d: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => next() - 0.5));
}

describe("collection.explain", () => {
  it("names each plan, with its candidates, and returns exactly query's result", async () => {
    const { client } = tempClient();
    const small = await client.createCollection({ name: "small" });
    await small.add({ ids: ["a", "b", "c"], embeddings: [[1, 0], [0, 1], [1, 1]] });
    const s = await small.explain({ queryEmbeddings: [[1, 0]], nResults: 2 });
    expect(s.plans).toHaveLength(1);
    expect(s.plans[0]).toMatchObject({ plan: "exact-scan", searchable: 3, allowed: null, candidates: 3, ef: null });
    expect(s.result.ids).toEqual((await small.query({ queryEmbeddings: [[1, 0]], nResults: 2 })).ids);
    expect((await small.explain({ queryEmbeddings: [[1, 0]], nResults: 0 })).plans[0]!.plan).toBe("empty");

    const n = 5000;
    const big = await client.createCollection({ name: "big" });
    const embeddings = vectors(n, 8, 3);
    const ids = embeddings.map((_, i) => `r${i}`);
    const documents = ids.map((_, i) => (i % 2 === 0 ? `common words here ${i}` : i === 7 ? "a rare zebra" : `other text ${i}`));
    const metadatas = ids.map((_, i) => ({ i, half: i % 2 }));
    for (let i = 0; i < n; i += 1000) {
      await big.add({ ids: ids.slice(i, i + 1000), embeddings: embeddings.slice(i, i + 1000), documents: documents.slice(i, i + 1000), metadatas: metadatas.slice(i, i + 1000) });
    }
    await big.waitForIndexing();
    const q = [embeddings[11]!, embeddings[12]!];
    const cases = [
      { args: {}, plan: "hnsw", allowed: null, candidates: n },
      { args: { where: { i: { $lt: 100 } } }, plan: "exact-scan", allowed: 100, candidates: 100 },
      { args: { where: { i: { $gte: 1000 } } }, plan: "hnsw", allowed: 4000, candidates: 4000 },
      { args: { whereDocument: { $contains: "common" } }, plan: "search-first" },
      { args: { whereDocument: { $contains: "zebra" } }, plan: "nearest-first-contains" },
    ] as const;
    for (const c of cases) {
      const args = { queryEmbeddings: q, nResults: 5, ...c.args };
      const { result, plans } = await big.explain(args);
      expect(plans.map((p) => p.plan), JSON.stringify(c.args)).toEqual([c.plan, c.plan]);
      for (const p of plans) {
        expect(p.searchable).toBe(n);
        expect(p.reason.length).toBeGreaterThan(10);
        if ("allowed" in c) expect(p).toMatchObject({ allowed: c.allowed, candidates: c.candidates });
        if (c.plan === "hnsw") expect(p.ef).toBeGreaterThanOrEqual(80);
        if (c.plan === "nearest-first-contains") expect(p.candidates).toBeLessThan(50);
        if (c.plan === "search-first") expect(p.candidates).toBeLessThan(n);
      }
      const plain = await big.query(args);
      expect(result.ids).toEqual(plain.ids);
      expect(result.distances).toEqual(plain.distances);
    }
  });
});
