/** query: distances, ordering, nResults, include and result shapes, filters, and the ANN path. */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type Collection, type Space } from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";
import { shortestF32 } from "../../src/util/float32.js";
import { rng } from "../helpers/rng.js";

/**
 * The oracle's `dist:*` probes: p, q, r, s, t added in that order, queried with [1, 2, 2]. Expected
 * distances are the float32 values the real Chroma returned (its JSON prints the shortest float32).
 */
const DIST_IDS = ["p", "q", "r", "s", "t"];
const DIST_EMBEDDINGS = [
  [1, 0, 0],
  [0, 2, 0],
  [3, 4, 0],
  [-1, -1, 0],
  [0.6, 0.8, 0],
];
const DIST_EXPECTED: Record<Space | "default", { ids: string[]; distances: number[] }> = {
  l2: { ids: ["q", "t", "p", "r", "s"], distances: [5, 5.6, 8, 12, 17] },
  default: { ids: ["q", "t", "p", "r", "s"], distances: [5, 5.6, 8, 12, 17] },
  cosine: { ids: ["r", "t", "q", "p", "s"], distances: [0.26666665, 0.26666665, 0.3333333, 0.6666666, 1.7071068] },
  ip: { ids: ["r", "q", "t", "p", "s"], distances: [-10, -3, -1.2, 0, 4] },
};

describe("distances match the oracle's float32 values", () => {
  it.each(["l2", "cosine", "ip", "default"] as const)("%s", async (space) => {
    const { client } = tempClient();
    const c = await client.createCollection({
      name: `dist-${space}`,
      ...(space === "default" ? {} : { configuration: { hnsw: { space } } }),
    });
    await c.add({ ids: DIST_IDS, embeddings: DIST_EMBEDDINGS });
    const r = await c.query({ queryEmbeddings: [[1, 2, 2]], nResults: 5, include: ["distances", "embeddings"] });
    const expected = DIST_EXPECTED[space];
    expect(r.ids).toEqual([expected.ids]);
    expect(r.distances).toEqual([expected.distances.map(shortestF32)]);
  });

  it("the legacy metadata key hnsw:space selects the distance", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "legacy", metadata: { "hnsw:space": "ip" } });
    await c.add({ ids: DIST_IDS, embeddings: DIST_EMBEDDINGS });
    const r = await c.query({ queryEmbeddings: [[1, 2, 2]], nResults: 5, include: ["distances"] });
    expect(r.ids).toEqual([DIST_EXPECTED.ip.ids]);
    expect(r.distances).toEqual([DIST_EXPECTED.ip.distances.map(shortestF32)]);
  });

  it("cosine distance of a zero vector is 1", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "zero", configuration: { hnsw: { space: "cosine" } } });
    await c.add({ ids: ["z"], embeddings: [[0, 0, 0]] });
    const r = await c.query({ queryEmbeddings: [[1, 2, 2]], nResults: 1, include: ["distances"] });
    expect(r.distances).toEqual([[1]]);
  });
});

/** The oracle's record fixture (c, a, b, z, d). */
async function fixture(): Promise<Collection> {
  const { client } = tempClient();
  const c = await client.createCollection({ name: "query" });
  await c.add({
    ids: ["c", "a", "b", "z", "d"],
    embeddings: [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
      [1, 1, 0],
      [2, 0, 0],
    ],
    documents: ["doc C hello world", "doc A Hello", "doc B foo bar", "doc Z", null],
    metadatas: [{ k: 3, s: "c" }, { k: 1, s: "a" }, { k: 2, s: "b" }, { k: 26, s: "z" }, null],
  });
  return c;
}

describe("ordering and nResults", () => {
  it("ties come back in insertion order", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[0, 0, 0]], nResults: 5, include: ["distances"] });
    expect(r.ids).toEqual([["c", "a", "b", "z", "d"]]);
    expect(r.distances).toEqual([[1, 1, 1, 2, 4]]);
  });

  it("ties are cut in insertion order when nResults is smaller than the tie", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[0, 0, 0]], nResults: 2, include: ["distances"] });
    expect(r.ids).toEqual([["c", "a"]]);
  });

  it("nResults larger than the collection returns every record, nearest first", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 100 });
    expect(r.ids).toEqual([["z", "b", "a", "d", "c"]]);
    expect(r.distances).toEqual([[1, 2, 4, 5, 6]]);
    expect(r.documents).toEqual([["doc Z", "doc B foo bar", "doc A Hello", null, "doc C hello world"]]);
    expect(r.metadatas).toEqual([[{ k: 26, s: "z" }, { k: 2, s: "b" }, { k: 1, s: "a" }, null, { k: 3, s: "c" }]]);
  });

  it("nResults defaults to 10", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "many" });
    await c.add({ ids: Array.from({ length: 15 }, (_, i) => `r${i}`), embeddings: Array.from({ length: 15 }, (_, i) => [i]) });
    const r = await c.query({ queryEmbeddings: [[0]] });
    expect(r.ids[0]).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
  });

  it("nResults 0 returns one empty list per query", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 0 });
    expect(r).toMatchObject({ ids: [[]], distances: [[]], documents: [[]], metadatas: [[]], embeddings: [], uris: [] });
  });

  it("several queries give one list each", async () => {
    const c = await fixture();
    const r = await c.query({
      queryEmbeddings: [
        [1, 2, 0],
        [2, 0, 0],
      ],
      nResults: 2,
      include: ["distances", "documents", "metadatas", "embeddings", "uris"],
    });
    expect(r.ids).toEqual([
      ["z", "b"],
      ["d", "a"],
    ]);
    expect(r.distances).toEqual([
      [1, 2],
      [0, 1],
    ]);
    expect(r.embeddings).toEqual([
      [
        [1, 1, 0],
        [0, 1, 0],
      ],
      [
        [2, 0, 0],
        [1, 0, 0],
      ],
    ]);
    expect(r.documents).toEqual([
      ["doc Z", "doc B foo bar"],
      [null, "doc A Hello"],
    ]);
    expect(r.uris).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it("an empty list of query embeddings returns empty lists", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [], nResults: 2 });
    expect(r.ids).toEqual([]);
    expect(r.distances).toEqual([]);
  });
});

describe("include and shapes", () => {
  it("default include is distances, documents and metadatas", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 1 });
    expect([...r.include].sort()).toEqual(["distances", "documents", "metadatas"]);
    expect(r).toMatchObject({ ids: [["z"]], distances: [[1]], documents: [["doc Z"]], embeddings: [], uris: [] });
  });

  it("include: [] returns only ids", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 2, include: [] });
    expect(r).toMatchObject({ ids: [["z", "b"]], distances: [], documents: [], metadatas: [], embeddings: [], uris: [] });
  });

  it("rows() gives one list of objects per query", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 2, include: ["distances", "documents"] });
    expect(r.rows()).toEqual([
      [
        { id: "z", distance: 1, document: "doc Z", embedding: undefined, metadata: undefined, uri: undefined },
        { id: "b", distance: 2, document: "doc B foo bar", embedding: undefined, metadata: undefined, uri: undefined },
      ],
    ]);
  });

  it("an empty collection returns [[]]-shaped lists", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "empty" });
    const r = await c.query({ queryEmbeddings: [[1, 0, 0]], nResults: 3 });
    expect(r).toMatchObject({ ids: [[]], distances: [[]], documents: [[]], metadatas: [[]], embeddings: [], uris: [] });
    const g = await c.get();
    expect(g).toMatchObject({ ids: [], documents: [], metadatas: [], embeddings: [], uris: [] });
    expect(await c.count()).toBe(0);
  });

  it("a collection emptied by deletes returns [[]] too", async () => {
    const c = await fixture();
    await c.delete({ where: { k: { $gte: 0 } } });
    await c.delete({ ids: ["d"] });
    const r = await c.query({ queryEmbeddings: [[1, 0, 0]], nResults: 3 });
    expect(r.ids).toEqual([[]]);
  });

  it("accepts Float32Array query embeddings", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [new Float32Array([1, 2, 0])], nResults: 1, include: [] });
    expect(r.ids).toEqual([["z"]]);
  });
});

describe("filters and ids", () => {
  it("where", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, where: { k: { $gte: 2 } }, include: ["distances"] });
    expect(r.ids).toEqual([["z", "b", "c"]]);
    expect(r.distances).toEqual([[1, 2, 6]]);
  });

  it("whereDocument", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, whereDocument: { $contains: "doc" }, include: ["distances"] });
    expect(r.ids).toEqual([["z", "b", "a", "c"]]);
    expect(r.distances).toEqual([[1, 2, 4, 6]]);
  });

  it("an ids subset", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, ids: ["a", "z"], include: ["distances"] });
    expect(r.ids).toEqual([["z", "a"]]);
    expect(r.distances).toEqual([[1, 4]]);
  });

  it("ids + where", async () => {
    const c = await fixture();
    const r = await c.query({
      queryEmbeddings: [[1, 2, 0]],
      nResults: 5,
      ids: ["a", "z", "b"],
      where: { k: { $lt: 20 } },
      include: ["distances"],
    });
    expect(r.ids).toEqual([["b", "a"]]);
    expect(r.distances).toEqual([[2, 4]]);
  });

  it("ids with a missing id ignore it (the oracle's 500 is a bug not copied)", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, ids: ["a", "missing_x"], include: [] });
    expect(r.ids).toEqual([["a"]]);
  });

  it("a filter that matches nothing returns [[]]", async () => {
    const c = await fixture();
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, where: { k: 999 } });
    expect(r.ids).toEqual([[]]);
    expect(r.distances).toEqual([[]]);
  });
});

describe("invalid queries", () => {
  it("wrong dimension", async () => {
    const c = await fixture();
    const err = await c.query({ queryEmbeddings: [[1, 2]] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe("INVALID_ARGUMENT");
    await expect(c.query({ queryEmbeddings: [[1, 2, 0], [1, 2]] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("bad nResults, include, non-finite values", async () => {
    const c = await fixture();
    await expect(c.query({ queryEmbeddings: [[1, 2, 0]], nResults: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.query({ queryEmbeddings: [[1, 2, 0]], include: ["bogus" as "documents"] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(c.query({ queryEmbeddings: [[1, Number.NaN, 0]] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.query({ queryEmbeddings: [[]] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("no query, both kinds, or texts without an embedding function", async () => {
    const c = await fixture();
    await expect(c.query({})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.query({ queryTexts: ["x"] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.query({ queryEmbeddings: [[1, 2, 0]], queryTexts: ["x"] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("queries see every write at once", () => {
  it("after update, upsert and delete", async () => {
    const c = await fixture();
    await c.update({ ids: ["c"], embeddings: [[1, 2, 0]] });
    await c.upsert({ ids: ["n"], embeddings: [[1, 2, 0.5]] });
    await c.delete({ ids: ["z"] });
    const r = await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 3, include: ["distances"] });
    expect(r.ids).toEqual([["c", "n", "b"]]);
    expect(r.distances).toEqual([[0, 0.25, 2]]);
  });
});

/** A small deterministic PRNG so that the large tests are reproducible. */

function l2(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

describe("the ANN path (more records than an exact scan covers)", () => {
  it("finds the true neighbours with recall >= 0.95, exact distances, and answers filters exactly", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "ann" });
    const rand = rng(42);
    const n = 2500;
    const dim = 12;
    const vectors = Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(rand() * 2 - 1)));
    const ids = vectors.map((_, i) => `v${i}`);
    await c.add({ ids, embeddings: vectors, metadatas: vectors.map((_, i) => ({ bucket: i % 10 })) });
    await c.waitForIndexing();
    const status = await c.getIndexingStatus();
    expect(status).toMatchObject({ num_unindexed_ops: 0, total_ops: n, op_indexing_progress: 1 });

    const queries = Array.from({ length: 20 }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
    const k = 10;
    const r = await c.query({ queryEmbeddings: queries, nResults: k, include: ["distances"] });
    let found = 0;
    queries.forEach((q, qi) => {
      const truth = vectors
        .map((v, i) => ({ id: ids[i]!, d: l2(q, v) }))
        .sort((x, y) => x.d - y.d)
        .slice(0, k);
      const kth = truth[k - 1]!.d;
      const got = r.ids[qi]!;
      expect(new Set(got).size).toBe(k);
      got.forEach((id, j) => {
        const exact = l2(q, vectors[Number(id.slice(1))]!);
        expect(r.distances[qi]![j]).toBeCloseTo(exact, 4);
        if (exact <= kth + 1e-6) found++;
      });
    });
    expect(found / (queries.length * k)).toBeGreaterThanOrEqual(0.95);

    // A filter keeping few records is answered by an exact scan: exactly the brute-force answer.
    const q0 = queries[0]!;
    const filtered = await c.query({ queryEmbeddings: [q0], nResults: k, where: { bucket: 3 }, include: ["distances"] });
    const truth = vectors
      .map((v, i) => ({ id: ids[i]!, d: Math.fround(l2(q0, v)), i }))
      .filter((x) => x.i % 10 === 3)
      .sort((x, y) => x.d - y.d || x.i - y.i)
      .slice(0, k);
    expect(filtered.ids[0]).toEqual(truth.map((t) => t.id));

    // A stored vector finds itself first, at distance 0, also right after writes (pending vectors).
    await c.update({ ids: ["v7"], embeddings: [vectors[8]!.map((x) => x + 0.5)] });
    await c.add({ ids: ["new"], embeddings: [vectors[9]!.map((x) => x - 0.5)] });
    const self = await c.query({
      queryEmbeddings: [vectors[8]!.map((x) => x + 0.5), vectors[9]!.map((x) => x - 0.5), vectors[100]!],
      nResults: 1,
      include: ["distances"],
    });
    expect(self.ids).toEqual([["v7"], ["new"], ["v100"]]);
    expect(self.distances).toEqual([[0], [0], [0]]);
  });
});
