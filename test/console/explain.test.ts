/**
 * Explain in process: `collection.explain` returns `query`'s result and, per query, the plan the
 * reader actually ran, one case per plan (thresholds from src/engine/reader.ts); `explainSearch`
 * returns `search`'s result and, per hit, each Knn's part, BM25 split by query term.
 */
import { describe, expect, it } from "vitest";
import { rng } from "../helpers/rng.js";
import { tempClient } from "../helpers/tmp.js";
import { Knn, Rrf } from "../../src/index.js";
import { bm25SparseVector } from "../../src/text/bm25.js";

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

describe("collection.explainSearch", () => {
  it("splits each BM25 hit's score into its query terms' parts, and returns exactly search's result", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "texts" });
    const documents = ["red apples and green pears", "red red wine", "green tea", "apples, apples, apples", "nothing relevant here"];
    await c.add({ ids: documents.map((_, i) => `d${i}`), embeddings: documents.map((_, i) => [i, 1]), documents });
    const search = { rank: Knn({ query: "red apples", key: "#document" }), select: ["#score", "#document"] };
    const { result, explains } = await c.explainSearch(search);
    const plain = await c.search(search);
    expect(result.ids).toEqual(plain.ids);
    expect(result.scores).toEqual(plain.scores);
    expect(result.ids[0]!.sort()).toEqual(["d0", "d1", "d3"]);
    const hits = explains[0]!.hits;
    expect(hits.map((h) => h.id)).toEqual(plain.ids[0]);
    for (const [i, hit] of hits.entries()) {
      expect(hit.knns).toHaveLength(1);
      const knn = hit.knns[0]!;
      expect(knn).toMatchObject({ knn: 0, key: "#document", rank: i });
      // The parts add up (in the order given) to the Knn's score, which is the hit's score here.
      expect(knn.terms!.reduce((sum, t) => sum + t.score, 0)).toBe(knn.score);
      expect(Math.fround(knn.score)).toBeCloseTo(plain.scores[0]![i]!, 5);
    }
    const terms = (id: string) => hits.find((h) => h.id === id)!.knns[0]!.terms!.map((t) => t.term);
    expect(terms("d0")).toEqual(["red", "appl"]);
    expect(terms("d1")).toEqual(["red"]);
    expect(terms("d3")).toEqual(["appl"]);
    // Each part is that term's score alone: what a one-term search gives the same record.
    const alone = await c.explainSearch({ rank: Knn({ query: "apples", key: "#document" }), select: ["#score"] });
    const d0 = alone.explains[0]!.hits.find((h) => h.id === "d0")!.knns[0]!;
    expect(hits.find((h) => h.id === "d0")!.knns[0]!.terms![1]!.score).toBe(d0.score);

    // A repeated query term counts once (as FTS5 weighs it); a sparse vector's terms have ids only.
    const repeated = await c.explainSearch({ rank: Knn({ query: "red red apples", key: "#document" }), select: ["#score"] });
    expect(repeated.explains[0]!.hits.find((h) => h.id === "d0")!.knns[0]!).toEqual(hits.find((h) => h.id === "d0")!.knns[0]!);
    const sparse = bm25SparseVector("red apples");
    const viaSparse = await c.explainSearch({ rank: Knn({ query: sparse, key: "#document" }), select: ["#score"] });
    const s0 = viaSparse.explains[0]!.hits.find((h) => h.id === "d0")!.knns[0]!;
    expect(s0.terms!.map((t) => t.term)).toEqual([null, null]);
    expect([...s0.terms!.map((t) => t.id)].sort()).toEqual([...sparse.indices].sort());
    expect(s0.score).toBe(hits.find((h) => h.id === "d0")!.knns[0]!.score);

    // A hybrid rank: each hit lists the Knns whose lists hold it.
    const hybrid = await c.explainSearch({
      rank: Rrf({ ranks: [Knn({ query: [0, 1], limit: 5, returnRank: true }), Knn({ query: "green", key: "#document", limit: 5, returnRank: true, default: 10 })] }),
      select: ["#score"],
    });
    const h2 = hybrid.explains[0]!.hits.find((h) => h.id === "d2")!;
    expect(h2.knns.map((k) => k.key)).toEqual(["#embedding", "#document"]);
    expect(h2.knns[0]!.terms).toBeUndefined();
    expect(h2.knns[1]!.terms!.map((t) => t.term)).toEqual(["green"]);
    const d4 = hybrid.explains[0]!.hits.find((h) => h.id === "d4");
    expect(d4?.knns.map((k) => k.key)).toEqual(["#embedding"]);
    // search itself carries no explain.
    expect(JSON.stringify(await c.search(search))).not.toContain("knns");
  });
});
