/**
 * The official client's `collection.search()` against `chromalite run`'s server: dense Knn, a BM25
 * text rank on `#document` (the client embeds it with `@chroma-core/chroma-bm25`, which the schema
 * names), Rrf, where, limit and select; answers checked against ranks worked out here.
 */
import { ChromaClient, K, Knn, Rrf, Search } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChromalite, type ChromaliteTarget } from "../server/helpers.js";

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

let target: ChromaliteTarget;
let client: ChromaClient;

beforeAll(async () => {
  target = await startChromalite();
  client = new ChromaClient({ host: target.host, port: target.port });
});
afterAll(async () => {
  await target.close();
});

describe("official client search against the server", () => {
  it("answers hybrid Rrf searches as the in-process collection does", async () => {
    const c = await client.createCollection({ name: "hybrid", embeddingFunction: null, configuration: { hnsw: { space: "cosine" } } });
    await c.add({ ids: DOCS.map((_, i) => `d${i}`), embeddings: VECS, documents: DOCS, metadatas: DOCS.map((_, i) => ({ n: i })) });
    const search = new Search()
      .where(K("n").gte(1))
      .rank(
        Rrf({
          ranks: [Knn({ query: [0, 1, 0], returnRank: true }), Knn({ query: "boundary layer", key: K.DOCUMENT, returnRank: true })],
          k: 20,
          weights: [1, 2],
        }),
      )
      .limit(3)
      .select(K.DOCUMENT, K.SCORE, "n");
    const remote = await c.search(search);
    // Worked out by hand, n >= 1 leaving d1..d5. Dense (cosine to [0, 1, 0]): d1 (0), d5 (1 - 1/√1.01),
    // d2 (1 - 0.9/√0.82), d3, d4. BM25 of "boundary layer": both words in d1, d2 (5 terms each once
    // stopwords go; tied, so in insertion order) and d5 (4 terms: the shorter wins). Rrf with k = 20
    // and weights 1, 2 over the records both found: -(1/(20 + dense rank) + 2/(20 + text rank)).
    const dense = new Map([["d1", 0], ["d5", 1], ["d2", 2]]);
    const text = new Map([["d5", 0], ["d1", 1], ["d2", 2]]);
    const score = (id: string) => -(1 / (20 + dense.get(id)!) + 2 / (20 + text.get(id)!));
    expect(remote.ids).toEqual([["d5", "d1", "d2"]]);
    remote.scores[0]!.forEach((s, i) => expect(s).toBeCloseTo(score(remote.ids[0]![i]!), 6));
    expect(remote.documents).toEqual([[DOCS[5], DOCS[1], DOCS[2]]]);
    expect(remote.metadatas).toEqual([[{ n: 5 }, { n: 1 }, { n: 2 }]]);
    expect(remote.rows()[0]![0]).toEqual({ id: "d5", document: DOCS[5], metadata: { n: 5 }, score: remote.scores[0]![0] });
  });

  it("searches several payloads, by id and document filters, and with a sparse vector", async () => {
    const c = await client.getOrCreateCollection({ name: "multi", embeddingFunction: null });
    await c.add({ ids: DOCS.map((_, i) => `d${i}`), embeddings: VECS, documents: DOCS });
    const r = await c.search([
      new Search().rank(Knn({ query: [1, 0, 0], limit: 2 })).select(K.SCORE),
      new Search().where(K.ID.isIn(["d1", "d2", "d3"]).and(K.DOCUMENT.contains("boundary"))),
      new Search().rank(Knn({ query: { indices: [], values: [] }, key: K.DOCUMENT })),
    ]);
    expect(r.ids).toEqual([["d0", "d4"], ["d1", "d2"], []]);
    expect(r.scores[0]![0]).toBe(0);
    expect(r.documents).toEqual([null, null, null]);
  });

  it("refuses what it does not support with Chroma-style errors", async () => {
    const c = await client.getOrCreateCollection({ name: "refuse", embeddingFunction: null });
    await c.add({ ids: ["a"], embeddings: [[1, 0]], documents: ["x"] });
    await expect(c.search(new Search().rank(Knn({ query: [1, 0], key: "sparse_embedding" })))).rejects.toThrow(/not supported/);
    await expect(c.search(new Search().rank(Knn({ query: "text" })))).rejects.toThrow(/embedding function/i);
  });
});
