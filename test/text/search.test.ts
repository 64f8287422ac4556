/** `collection.search()` in process: the Search API's shapes, semantics and refusals. */
import { K, Knn as OfficialKnn, Rrf as OfficialRrf, Search } from "chromadb";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, Knn, NotImplementedError, Rrf, type Collection } from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";

const DOCS = [
  "supersonic flow over a swept wing",
  "boundary layer transition on a flat plate",
  "heat transfer in hypersonic boundary layers",
  "wing flutter at transonic speeds",
  "a note on the supersonic wing",
  "laminar boundary layer separation",
];
const VECS = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0.9, 0.1],
  [0.9, 0.1, 0],
  [0.95, 0, 0.05],
  [0, 1, 0.1],
];

/**
 * Cosine distance in float64, written here: an oracle independent of chromalite's float32 code. On
 * these vectors it orders the records as chromalite's does wherever the order is not a tie.
 */
function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

/** Each record's cosine distance to `query`, by id. */
function distancesTo(query: number[]): Map<string, number> {
  return new Map(VECS.map((v, i) => [`d${i}`, cosineDistance(query, v)]));
}

/** Ids ordered by score ascending, ties in insertion order (as the Search API orders them). */
function byScore(scores: Map<string, number>): string[] {
  return [...scores.keys()].sort((a, b) => scores.get(a)! - scores.get(b)! || Number(a.slice(1)) - Number(b.slice(1)));
}

/**
 * BM25 ranks of "supersonic wing", worked out by hand: both words are in d0 ("supersonic flow over a
 * swept wing": 4 terms once stopwords go) and d4 ("a note on the supersonic wing": 3 terms; the
 * shorter document scores higher), "wing" alone in d3.
 */
const SUPERSONIC_WING_RANKS = new Map([
  ["d4", 0],
  ["d0", 1],
  ["d3", 2],
]);

async function seeded(): Promise<Collection> {
  const { client } = tempClient();
  const c = await client.createCollection({ name: "search", configuration: { hnsw: { space: "cosine" } } });
  await c.add({
    ids: DOCS.map((_, i) => `d${i}`),
    embeddings: VECS,
    documents: DOCS,
    metadatas: DOCS.map((_, i) => ({ n: i, kind: i % 2 === 0 ? "even" : "odd" })),
  });
  return c;
}

describe("search: single ranks", () => {
  it("Knn on the embedding ranks by distance, nearest first, with scores", async () => {
    const c = await seeded();
    const r = await c.search({ rank: Knn({ query: [1, 0, 0], limit: 3 }), select: ["#score", "#document"] });
    expect(r.ids).toEqual([["d0", "d4", "d3"]]);
    const q = await c.query({ queryEmbeddings: [[1, 0, 0]], nResults: 3 });
    expect(r.scores[0]).toEqual(q.distances[0]);
    expect(r.documents[0]).toEqual([DOCS[0], DOCS[4], DOCS[3]]);
    expect(r.embeddings).toEqual([null]);
    expect(r.metadatas).toEqual([null]);
  });

  it("Knn on #document ranks by BM25 (lower score is better); records without the terms are left out", async () => {
    const c = await seeded();
    const r = await c.search({ rank: Knn({ query: "supersonic wing", key: "#document" }), select: ["#score"] });
    expect(new Set(r.ids[0])).toEqual(new Set(["d0", "d4", "d3"]));
    expect(r.ids[0]!.slice(0, 2).sort()).toEqual(["d0", "d4"]); // both terms beat one term
    const scores = r.scores[0] as number[];
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(scores.every((s) => s < 0)).toBe(true);
    expect((await c.search({ rank: Knn({ query: "the of and", key: "#document" }) })).ids).toEqual([[]]);
  });

  it("accepts a chroma_bm25 sparse vector on #document", async () => {
    const c = await seeded();
    const { ChromaBm25EmbeddingFunction } = await import("@chroma-core/chroma-bm25");
    const [sparse] = await new ChromaBm25EmbeddingFunction().generateForQueries(["supersonic wing"]);
    const viaSparse = await c.search({ rank: Knn({ query: sparse!, key: "#document" }), select: ["#score"] });
    const viaText = await c.search({ rank: Knn({ query: "supersonic wing", key: "#document" }), select: ["#score"] });
    expect(viaSparse.ids).toEqual(viaText.ids);
    expect(viaSparse.scores).toEqual(viaText.scores);
  });
});

describe("search: fusion, filters, paging, selection", () => {
  it("Rrf fuses by 0-based ranks: -Σ w/(k + rank)", async () => {
    const c = await seeded();
    const dense = Knn({ query: [1, 0, 0], limit: 6, returnRank: true });
    const text = Knn({ query: "supersonic wing", key: "#document", limit: 6, returnRank: true });
    // The two ranks alone, against the oracles written above.
    const denseOrder = byScore(distancesTo([1, 0, 0]));
    expect((await c.search({ rank: dense })).ids[0]!.slice(0, 3)).toEqual(denseOrder.slice(0, 3)); // d1, d2, d5 tie after
    expect((await c.search({ rank: text })).ids).toEqual([[...SUPERSONIC_WING_RANKS.keys()]]);
    const r = await c.search({ rank: Rrf({ ranks: [dense, text], k: 10, weights: [1, 2] }), select: ["#score"] });
    // No defaults: only records in both lists, scored -(1/(10 + dense rank) + 2/(10 + text rank)).
    const expected = new Map(
      [...SUPERSONIC_WING_RANKS].map(([id, t]) => [id, -(1 / (10 + denseOrder.indexOf(id)) + 2 / (10 + t))]),
    );
    expect(r.ids).toEqual([["d4", "d0", "d3"]]);
    expect(r.ids[0]).toEqual(byScore(expected));
    r.scores[0]!.forEach((s, i) => expect(s).toBeCloseTo(expected.get(r.ids[0]![i]!)!, 6));
  });

  it("Rrf normalize scales the weights to sum to 1", async () => {
    const c = await seeded();
    const dense = Knn({ query: [1, 0, 0], limit: 6, returnRank: true });
    const text = Knn({ query: "supersonic wing", key: "#document", limit: 6, returnRank: true });
    expect(Rrf({ ranks: [dense, text], weights: [1, 3], normalize: true })).toEqual(Rrf({ ranks: [dense, text], weights: [0.25, 0.75] }));
    const r = await c.search({ rank: Rrf({ ranks: [dense, text], weights: [1, 3], normalize: true }), select: ["#score"] });
    const denseOrder = byScore(distancesTo([1, 0, 0]));
    const expected = new Map(
      [...SUPERSONIC_WING_RANKS].map(([id, t]) => [id, -(0.25 / (60 + denseOrder.indexOf(id)) + 0.75 / (60 + t))]),
    );
    expect(r.ids[0]).toEqual(byScore(expected));
    r.scores[0]!.forEach((s, i) => expect(s).toBeCloseTo(expected.get(r.ids[0]![i]!)!, 7));
    // The official client's normalize means the same.
    const official = await c.search({
      rank: OfficialRrf({
        ranks: [OfficialKnn({ query: [1, 0, 0], limit: 6, returnRank: true }), OfficialKnn({ query: "supersonic wing", key: K.DOCUMENT, limit: 6, returnRank: true })],
        weights: [1, 3],
        normalize: true,
      }),
      select: ["#score"],
    });
    expect(official.ids).toEqual(r.ids);
    official.scores[0]!.forEach((s, i) => expect(s).toBeCloseTo(r.scores[0]![i]!, 7));
    expect(() => Rrf({ ranks: [dense, text], weights: [0, 0], normalize: true })).toThrow(InvalidArgumentError);
  });

  it("computes rank arithmetic on Knn scores: $val $sum $sub $mul $div $abs $exp $log $max $min", async () => {
    const c = await seeded();
    const knn = Knn({ query: [1, 0, 0], limit: 6 });
    const distance = distancesTo([1, 0, 0]);
    const cases: [string, Record<string, unknown>, (d: number) => number][] = [
      ["$sum", { $sum: [knn, { $val: 1 }] }, (d) => d + 1],
      ["$sub", { $sub: { left: knn, right: { $val: 0.5 } } }, (d) => d - 0.5],
      ["$mul", { $mul: [{ $val: -2 }, knn] }, (d) => -2 * d],
      ["$div", { $div: { left: knn, right: { $val: 4 } } }, (d) => d / 4],
      ["$abs", { $abs: { $sub: { left: knn, right: { $val: 0.5 } } } }, (d) => Math.abs(d - 0.5)],
      ["$exp", { $exp: knn }, (d) => Math.exp(d)],
      ["$log", { $log: { $sum: [knn, { $val: 1 }] } }, (d) => Math.log(d + 1)],
      ["$max", { $max: [knn, { $val: 0.5 }] }, (d) => Math.max(d, 0.5)],
      ["$min", { $min: [knn, { $val: 0.5 }] }, (d) => Math.min(d, 0.5)],
    ];
    for (const [op, rank, f] of cases) {
      const r = await c.search({ rank, select: ["#score"] });
      const expected = new Map([...distance].map(([id, d]) => [id, f(d)]));
      expect(r.ids[0], op).toEqual(byScore(expected));
      r.scores[0]!.forEach((s, i) => expect(s, `${op} score of ${r.ids[0]![i]}`).toBeCloseTo(expected.get(r.ids[0]![i]!)!, 5));
    }
  });

  it("a Knn default keeps records the other ranks found", async () => {
    const c = await seeded();
    const dense = Knn({ query: [1, 0, 0], limit: 2, returnRank: true, default: 1000 });
    const text = Knn({ query: "boundary", key: "#document", limit: 10, returnRank: true, default: 1000 });
    const r = await c.search({ rank: Rrf({ ranks: [dense, text] }) });
    expect(new Set(r.ids[0])).toEqual(new Set(["d0", "d4", "d1", "d2", "d5"]));
  });

  it("filters by metadata, #document and #id, pages with limit/offset and selects metadata fields", async () => {
    const c = await seeded();
    const rank = Knn({ query: [1, 0, 0], limit: 6 });
    const all = (await c.search({ rank })).ids[0]!;
    const even = await c.search({ rank, where: { kind: "even" }, select: ["n", "#score"] });
    expect(even.ids[0]).toEqual(all.filter((id) => Number(id.slice(1)) % 2 === 0));
    expect(even.metadatas[0]).toEqual(even.ids[0]!.map((id) => ({ n: Number(id.slice(1)) })));
    const doc = await c.search({ rank, where: { $and: [{ "#document": { $contains: "wing" } }, { n: { $gte: 1 } }] } });
    expect(doc.ids[0]).toEqual(all.filter((id) => DOCS[Number(id.slice(1))]!.includes("wing") && id !== "d0"));
    const byId = await c.search({ rank, where: { $and: [{ "#id": { $in: ["d1", "d3", "zz"] } }, { kind: "odd" }] } });
    expect(byId.ids[0]).toEqual(all.filter((id) => id === "d1" || id === "d3"));
    const page = await c.search({ rank, limit: { limit: 2, offset: 1 }, select: ["#metadata", "#embedding"] });
    expect(page.ids[0]).toEqual(all.slice(1, 3));
    expect(page.metadatas[0]![0]).toEqual({ n: Number(all[1]!.slice(1)), kind: expect.any(String) as string });
    expect(page.embeddings[0]![0]).toHaveLength(3);
    // No rank: filtered records in insertion order, no scores.
    const plain = await c.search({ where: { kind: "odd" }, select: ["#score"], limit: 2 });
    expect(plain.ids).toEqual([["d1", "d3"]]);
    expect(plain.scores).toEqual([[null, null]]);
    expect(plain.rows()).toEqual([[{ id: "d1" }, { id: "d3" }]]);
  });

  it("runs several searches in one call, one result list each", async () => {
    const c = await seeded();
    const r = await c.search([{ rank: Knn({ query: [0, 1, 0], limit: 1 }) }, { rank: Knn({ query: "flutter", key: "#document" }) }]);
    expect(r.ids).toEqual([["d1"], ["d3"]]);
  });

  it("takes the official client's Search objects and gives the same results", async () => {
    const c = await seeded();
    const official = new Search()
      .where(K("n").gte(1).and(K.DOCUMENT.contains("layer")))
      .rank(
        OfficialRrf({
          ranks: [OfficialKnn({ query: [0, 1, 0], returnRank: true }), OfficialKnn({ query: "boundary layer", key: K.DOCUMENT, returnRank: true })],
          weights: [0.7, 0.3],
        }),
      )
      .limit(3)
      .select(K.DOCUMENT, K.SCORE, "kind");
    const ours = {
      where: { $and: [{ n: { $gte: 1 } }, { "#document": { $contains: "layer" } }] },
      rank: Rrf({
        ranks: [Knn({ query: [0, 1, 0], returnRank: true, limit: 128 }), Knn({ query: "boundary layer", key: "#document", returnRank: true, limit: 128 })],
        weights: [0.7, 0.3],
      }),
      limit: 3,
      select: ["#document", "#score", "kind"],
    };
    const a = await c.search(official);
    const b = await c.search(ours);
    expect(a.ids).toEqual(b.ids);
    expect(a.ids[0]!.length).toBe(3);
    a.scores[0]!.forEach((s, i) => expect(s).toBeCloseTo(b.scores[0]![i]!, 6));
    expect(a.rows()[0]![0]).toMatchObject({ document: expect.any(String) as string, metadata: { kind: expect.any(String) as string } });
  });

  it("embeds a text Knn on #embedding with the collection's embedding function", async () => {
    const { client } = tempClient();
    const ef = { generate: (texts: string[]) => Promise.resolve(texts.map((t) => (t.includes("wing") ? [1, 0] : [0, 1]))) };
    const c = await client.createCollection({ name: "ef-search", embeddingFunction: ef });
    await c.add({ ids: ["w", "o"], documents: ["a wing", "other"] });
    expect((await c.search({ rank: Knn({ query: "wing", limit: 1 }) })).ids).toEqual([["w"]]);
    const bare = await client.createCollection({ name: "no-ef" });
    await bare.add({ ids: ["x"], embeddings: [[1, 0]], documents: ["x"] });
    await expect(bare.search({ rank: Knn({ query: "wing" }) })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("search: refusals", () => {
  it("names what it does not support with typed errors", async () => {
    const c = await seeded();
    await expect(c.search({ rank: Knn({ query: [1, 0, 0], key: "sparse_embedding" }) })).rejects.toBeInstanceOf(NotImplementedError);
    await expect(c.search({ groupBy: { keys: ["kind"], aggregate: { $min_k: { keys: ["#score"], k: 1 } } } })).rejects.toBeInstanceOf(
      NotImplementedError,
    );
    await expect(c.search({ where: { $or: [{ "#id": { $in: ["d1"] } }, { n: 2 }] } })).rejects.toBeInstanceOf(NotImplementedError);
    await expect(c.search({ rank: { $val: 1 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search({ rank: { $knn: { query: [1, 0, 0], limit: 0 } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search({ rank: { $nope: 1 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search({ rank: Knn({ query: [1, 0] }) })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search({ where: { n: { $bad: 1 } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.search({ wat: 1 } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
