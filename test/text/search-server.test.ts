/**
 * The official client's `collection.search()` against `chromalite run`'s server: dense Knn, a BM25
 * text rank on `#document` (the client embeds it with `@chroma-core/chroma-bm25`, which the schema
 * names), Rrf, where, limit and select; the same answers as in process.
 */
import { ChromaClient, K, Knn, Rrf, Search } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
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
    expect(remote.ids[0]).toHaveLength(3);
    expect(remote.rows()[0]![0]).toMatchObject({ document: expect.any(String) as string, metadata: { n: expect.any(Number) as number } });

    // Same folder, in process (the server holds its lock, so compare against a copy of the data).
    const local = new PersistentClient({ path: `${target.dir}-copy` });
    try {
      const lc = await local.createCollection({ name: "hybrid", configuration: { hnsw: { space: "cosine" } } });
      await lc.add({ ids: DOCS.map((_, i) => `d${i}`), embeddings: VECS, documents: DOCS, metadatas: DOCS.map((_, i) => ({ n: i })) });
      const mine = await lc.search(search);
      expect(remote.ids).toEqual(mine.ids);
      expect(remote.scores).toEqual(mine.scores);
      expect(remote.documents).toEqual(mine.documents);
      expect(remote.metadatas).toEqual(mine.metadatas);
    } finally {
      await local.close();
      const fs = await import("node:fs");
      fs.rmSync(`${target.dir}-copy`, { recursive: true, force: true });
    }
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
