/** add / upsert / update / delete / get semantics, as observed on the real Chroma. */
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  NotFoundError,
  PersistentClient,
  type Collection,
  type EmbeddingFunction,
  type Metadata,
} from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";

async function collection(name = "records"): Promise<Collection> {
  const { client } = tempClient();
  return client.createCollection({ name });
}

async function all(c: Collection) {
  return c.get({ include: ["documents", "metadatas", "embeddings", "uris"] });
}

async function one(c: Collection, id: string) {
  const r = await c.get({ ids: [id], include: ["documents", "metadatas", "embeddings", "uris"] });
  expect(r.ids).toEqual([id]);
  return r.rows()[0]!;
}

describe("add", () => {
  it("stores every field and returns embeddings as float32 values", async () => {
    const c = await collection();
    await c.add({
      ids: ["x", "y"],
      embeddings: [
        [0.1, 0.2, 0.3],
        [1, 2, 3],
      ],
      documents: ["doc x", null],
      metadatas: [{ s: "x", n: 1, f: 1.5, b: true, tags: ["p", "q"], nums: [1, 2.5], bools: [false] }, null],
      uris: ["http://example/x", null],
    });
    const r = await all(c);
    expect(r.ids).toEqual(["x", "y"]);
    expect(r.embeddings).toEqual([[0.1, 0.2, 0.3], [1, 2, 3]]); // float32, shown in shortest form as Chroma does
    expect(r.documents).toEqual(["doc x", null]);
    expect(r.metadatas).toEqual([{ s: "x", n: 1, f: 1.5, b: true, tags: ["p", "q"], nums: [1, 2.5], bools: [false] }, null]);
    expect(r.uris).toEqual(["http://example/x", null]);
    expect(await c.count()).toBe(2);
  });

  it("accepts Float32Array embeddings", async () => {
    const c = await collection();
    await c.add({ ids: ["f"], embeddings: [new Float32Array([0.5, -0.25])] });
    expect((await all(c)).embeddings).toEqual([[0.5, -0.25]]);
  });

  it("keeps large integers and tiny floats in metadata exactly", async () => {
    const c = await collection();
    await c.add({ ids: ["n"], embeddings: [[1]], metadatas: [{ big: 9007199254740992, fl: 1e-30, neg: -5 }] });
    expect((await one(c, "n")).metadata).toEqual({ big: 9007199254740992, fl: 1e-30, neg: -5 });
  });

  it("drops null metadata values on add", async () => {
    const c = await collection();
    await c.add({ ids: ["m"], embeddings: [[1]], metadatas: [{ k: 5, gone: null }] });
    expect((await one(c, "m")).metadata).toEqual({ k: 5 });
  });

  it("ignores ids that already exist and keeps the old record", async () => {
    const c = await collection();
    await c.add({ ids: ["a"], embeddings: [[1, 0, 0]], documents: ["doc A"], metadatas: [{ k: 1 }] });
    await c.add({
      ids: ["a", "b"],
      embeddings: [
        [9, 9, 9],
        [0, 1, 0],
      ],
      documents: ["new A", "doc B"],
      metadatas: [{ k: 99 }, { k: 2 }],
    });
    expect(await c.count()).toBe(2);
    const a = await one(c, "a");
    expect(a.embedding).toEqual([1, 0, 0]);
    expect(a.document).toBe("doc A");
    expect(a.metadata).toEqual({ k: 1 });
    expect((await one(c, "b")).document).toBe("doc B");
  });

  it("uses the collection's embedding function for documents", async () => {
    const { client } = tempClient();
    const calls: string[][] = [];
    const ef: EmbeddingFunction = {
      generate: (texts) => {
        calls.push(texts);
        return Promise.resolve(texts.map((t) => [t.length, 1]));
      },
    };
    const c = await client.createCollection({ name: "with-ef", embeddingFunction: ef });
    await c.add({ ids: ["s", "l"], documents: ["ab", "abcdef"] });
    expect(calls).toEqual([["ab", "abcdef"]]);
    expect((await all(c)).embeddings).toEqual([
      [2, 1],
      [6, 1],
    ]);
    const q = await c.query({ queryTexts: ["abcde"], nResults: 1, include: ["distances"] });
    expect(q.ids).toEqual([["l"]]);
    expect(q.distances).toEqual([[1]]);
  });

  it("without an embedding function, documents alone are rejected", async () => {
    const c = await collection();
    await expect(c.add({ ids: ["a"], documents: ["text"] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await c.add({ ids: ["a"], embeddings: [[1]] });
    await expect(c.update({ ids: ["a"], documents: ["text"] })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(1);
  });
});

describe("upsert", () => {
  it("updates existing records (metadata merged key by key) and inserts new ones", async () => {
    const c = await collection();
    await c.add({ ids: ["b"], embeddings: [[0, 1, 0]], documents: ["doc B"], metadatas: [{ k: 2, s: "b", flag: true }] });
    await c.upsert({
      ids: ["b", "newu"],
      embeddings: [
        [0, 2, 0],
        [3, 3, 3],
      ],
      documents: ["B upserted", "new upsert"],
      metadatas: [{ only: 1, k: 20 }, { u: 1 }],
    });
    const r = await all(c);
    expect(r.ids).toEqual(["b", "newu"]);
    expect(r.embeddings).toEqual([
      [0, 2, 0],
      [3, 3, 3],
    ]);
    expect(r.documents).toEqual(["B upserted", "new upsert"]);
    expect(r.metadatas).toEqual([{ k: 20, s: "b", flag: true, only: 1 }, { u: 1 }]);
  });

  it("keeps the old document and metadata when they are not given", async () => {
    const c = await collection();
    await c.add({ ids: ["b"], embeddings: [[0, 1]], documents: ["doc B"], metadatas: [{ k: 2 }] });
    await c.upsert({ ids: ["b"], embeddings: [[5, 5]] });
    const b = await one(c, "b");
    expect(b.document).toBe("doc B");
    expect(b.metadata).toEqual({ k: 2 });
    expect(b.embedding).toEqual([5, 5]);
  });

  it("null entries leave the document and metadata unchanged", async () => {
    const c = await collection();
    await c.add({ ids: ["b"], embeddings: [[0, 1]], documents: ["doc B"], metadatas: [{ k: 2 }] });
    await c.upsert({ ids: ["b"], embeddings: [[0, 1]], documents: [null], metadatas: [null] });
    const b = await one(c, "b");
    expect(b.document).toBe("doc B");
    expect(b.metadata).toEqual({ k: 2 });
  });

  it("a null metadata value deletes the key of an existing record and is dropped for a new one", async () => {
    const c = await collection();
    await c.add({ ids: ["old"], embeddings: [[1]], metadatas: [{ a: 1, b: 2 }] });
    await c.upsert({ ids: ["old", "new"], embeddings: [[1], [2]], metadatas: [{ a: null }, { x: 1, y: null }] });
    expect((await one(c, "old")).metadata).toEqual({ b: 2 });
    expect((await one(c, "new")).metadata).toEqual({ x: 1 });
  });

  it("on an empty collection inserts and sets the dimension", async () => {
    const c = await collection();
    await c.upsert({ ids: ["u"], embeddings: [[1, 2]] });
    expect(await c.count()).toBe(1);
    await expect(c.add({ ids: ["v"], embeddings: [[1, 2, 3]] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("update", () => {
  async function seeded(): Promise<Collection> {
    const c = await collection();
    await c.add({
      ids: ["c", "a"],
      embeddings: [
        [0, 0, 1],
        [1, 0, 0],
      ],
      documents: ["doc C", "doc A"],
      metadatas: [
        { k: 3, s: "c", f: 3.5, flag: true },
        { k: 1, s: "a" },
      ],
    });
    return c;
  }

  it("merges metadata key by key", async () => {
    const c = await seeded();
    await c.update({ ids: ["c"], metadatas: [{ k: 30, newkey: "n" }] });
    const r = await one(c, "c");
    expect(r.metadata).toEqual({ k: 30, newkey: "n", s: "c", f: 3.5, flag: true });
    expect(r.document).toBe("doc C");
    expect(r.embedding).toEqual([0, 0, 1]);
  });

  it("a null value deletes that key; deleting every key leaves no metadata", async () => {
    const c = await seeded();
    await c.update({ ids: ["c"], metadatas: [{ k: null, f: null }] });
    expect((await one(c, "c")).metadata).toEqual({ s: "c", flag: true });
    await c.update({ ids: ["a"], metadatas: [{ k: null, s: null }] });
    expect((await one(c, "a")).metadata).toBeNull();
  });

  it("a null metadata entry leaves the metadata unchanged", async () => {
    const c = await seeded();
    await c.update({ ids: ["c"], embeddings: [[0, 0, 2]], metadatas: [null] });
    expect((await one(c, "c")).metadata).toEqual({ k: 3, s: "c", f: 3.5, flag: true });
  });

  it("updates only the embedding", async () => {
    const c = await seeded();
    await c.update({ ids: ["c"], embeddings: [[0, 0, 2]] });
    const r = await one(c, "c");
    expect(r.embedding).toEqual([0, 0, 2]);
    expect(r.document).toBe("doc C");
    expect(r.metadata).toEqual({ k: 3, s: "c", f: 3.5, flag: true });
    const q = await c.query({ queryEmbeddings: [[0, 0, 2]], nResults: 1, include: ["distances"] });
    expect(q.ids).toEqual([["c"]]);
    expect(q.distances).toEqual([[0]]);
  });

  it("updates the document (with embeddings given) and a null document leaves it unchanged", async () => {
    const c = await seeded();
    await c.update({ ids: ["c", "a"], embeddings: [[0, 0, 1], [1, 0, 0]], documents: ["doc C updated", null] });
    expect((await c.get({ ids: ["c", "a"] })).documents).toEqual(["doc C updated", "doc A"]);
  });

  it("updates uris", async () => {
    const c = await seeded();
    await c.update({ ids: ["a"], uris: ["file:///a"] });
    expect((await one(c, "a")).uri).toBe("file:///a");
  });

  it("ignores missing ids, also mixed with existing ones", async () => {
    const c = await seeded();
    await c.update({ ids: ["nope"], embeddings: [[1, 1, 1]], metadatas: [{ k: 7 }] });
    expect(await c.count()).toBe(2);
    expect((await c.get({ ids: ["nope"] })).ids).toEqual([]);
    await c.update({ ids: ["nope", "a"], metadatas: [{ k: 7 }, { k: 8 }] });
    expect(await c.count()).toBe(2);
    expect((await one(c, "a")).metadata).toEqual({ k: 8, s: "a" });
  });

  it("rejects an embedding of the wrong dimension", async () => {
    const c = await seeded();
    await expect(c.update({ ids: ["a"], embeddings: [[1, 0]] })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await one(c, "a")).embedding).toEqual([1, 0, 0]);
  });
});

describe("order", () => {
  const e = (x: number) => [x, 0];

  it("get returns insertion order, whatever order ids are asked in; missing and duplicate ids are dropped", async () => {
    const c = await collection();
    await c.add({ ids: ["c", "a", "b"], embeddings: [e(1), e(2), e(3)] });
    expect((await c.get()).ids).toEqual(["c", "a", "b"]);
    expect((await c.get({ ids: ["b", "zz", "c", "a"] })).ids).toEqual(["c", "a", "b"]);
    expect((await c.get({ ids: ["a", "a", "b", "a"] })).ids).toEqual(["a", "b"]);
    expect((await c.get({ ids: ["zz"] })).ids).toEqual([]);
    expect((await c.get({ ids: [] })).ids).toEqual([]);
  });

  it("upsert and update keep a record's position", async () => {
    const c = await collection();
    await c.add({ ids: ["c", "a", "b"], embeddings: [e(1), e(2), e(3)] });
    await c.upsert({ ids: ["c", "n"], embeddings: [e(9), e(4)] });
    await c.update({ ids: ["a"], embeddings: [e(8)] });
    expect((await c.get()).ids).toEqual(["c", "a", "b", "n"]);
  });

  it("delete and re-add moves a record to the end", async () => {
    const c = await collection();
    await c.add({ ids: ["c", "a", "b"], embeddings: [e(1), e(2), e(3)] });
    await c.delete({ ids: ["c"] });
    await c.add({ ids: ["c"], embeddings: [e(1)] });
    expect((await c.get()).ids).toEqual(["a", "b", "c"]);
  });

  it("limit and offset page in insertion order", async () => {
    const c = await collection();
    await c.add({ ids: ["c", "a", "b", "z", "d"], embeddings: [e(1), e(2), e(3), e(4), e(5)] });
    expect((await c.get({ limit: 2, offset: 1 })).ids).toEqual(["a", "b"]);
    expect((await c.get({ offset: 3 })).ids).toEqual(["z", "d"]);
    expect((await c.get({ limit: 0 })).ids).toEqual([]);
    expect((await c.get({ offset: 10 })).ids).toEqual([]);
    expect((await c.peek()).ids).toEqual(["c", "a", "b", "z", "d"]);
    expect((await c.peek({ limit: 2 })).ids).toEqual(["c", "a"]);
  });
});

describe("delete", () => {
  async function seeded(): Promise<Collection> {
    const c = await collection();
    await c.add({
      ids: ["a", "b", "c", "d", "e"],
      embeddings: [[1], [2], [3], [4], [5]],
      documents: ["one", "two", "three", null, "five"],
      metadatas: [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 5 }, { k: 5 }],
    });
    return c;
  }

  it("by ids, skipping missing ones; reports how many records it removed", async () => {
    const c = await seeded();
    const r = await c.delete({ ids: ["b", "nope", "nope2"] });
    expect(r.deleted).toBe(1);
    expect((await c.get()).ids).toEqual(["a", "c", "d", "e"]);
    expect((await c.delete({ ids: ["nx1", "nx2"] })).deleted).toBe(0);
    expect(await c.count()).toBe(4);
  });

  it("by where and by whereDocument", async () => {
    const c = await seeded();
    expect((await c.delete({ where: { k: { $gte: 3 } } })).deleted).toBe(3);
    expect((await c.get()).ids).toEqual(["a", "b"]);
    expect((await c.delete({ whereDocument: { $contains: "tw" } })).deleted).toBe(1);
    expect((await c.get()).ids).toEqual(["a"]);
  });

  it("ids and where delete the intersection", async () => {
    const c = await seeded();
    expect((await c.delete({ ids: ["a", "b", "d"], where: { k: { $gt: 1 } } })).deleted).toBe(2);
    expect((await c.get()).ids).toEqual(["a", "c", "e"]);
  });

  it("where + limit deletes the first matches in insertion order", async () => {
    const c = await seeded();
    expect((await c.delete({ where: { k: 5 }, limit: 1 })).deleted).toBe(1);
    expect((await c.get()).ids).toEqual(["a", "b", "c", "e"]);
  });

  it("with no arguments deletes nothing", async () => {
    const c = await seeded();
    expect((await c.delete()).deleted).toBe(0);
    expect((await c.delete({})).deleted).toBe(0);
    expect(await c.count()).toBe(5);
  });

  it("ids: [] without a filter is rejected", async () => {
    const c = await seeded();
    await expect(c.delete({ ids: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(5);
  });

  it("deleted records disappear from get, query and filters", async () => {
    const c = await seeded();
    await c.delete({ ids: ["c"] });
    expect((await c.get({ ids: ["c"] })).ids).toEqual([]);
    const q = await c.query({ queryEmbeddings: [[3]], nResults: 5, include: [] });
    expect(q.ids[0]).not.toContain("c");
    expect(q.ids[0]).toHaveLength(4);
    expect((await c.get({ where: { k: 3 } })).ids).toEqual([]);
    expect((await c.get({ whereDocument: { $contains: "three" } })).ids).toEqual([]);
  });
});

describe("get results", () => {
  async function seeded(): Promise<Collection> {
    const c = await collection();
    await c.add({ ids: ["a"], embeddings: [[1, 0, 0]], documents: ["doc A"], metadatas: [{ k: 1 }] });
    return c;
  }

  it("default include is documents and metadatas; other columns are empty arrays", async () => {
    const c = await seeded();
    const r = await c.get();
    expect(r.include).toEqual(["documents", "metadatas"]);
    expect(r.documents).toEqual(["doc A"]);
    expect(r.metadatas).toEqual([{ k: 1 }]);
    expect(r.embeddings).toEqual([]);
    expect(r.uris).toEqual([]);
  });

  it("include selects columns", async () => {
    const c = await seeded();
    const only = await c.get({ include: ["embeddings"] });
    expect(only).toMatchObject({ ids: ["a"], embeddings: [[1, 0, 0]], documents: [], metadatas: [], uris: [] });
    const none = await c.get({ include: [] });
    expect(none).toMatchObject({ ids: ["a"], embeddings: [], documents: [], metadatas: [], uris: [], include: [] });
    const uris = await c.get({ include: ["uris"] });
    expect(uris.uris).toEqual([null]);
  });

  it("distances and unknown values are not allowed in get's include", async () => {
    const c = await seeded();
    await expect(c.get({ include: ["distances"] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ include: ["bogus" as "documents"] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("rows() gives one object per record with only the included fields", async () => {
    const c = await seeded();
    const r = await c.get({ include: ["documents", "embeddings"] });
    expect(r.rows()).toEqual([{ id: "a", document: "doc A", embedding: [1, 0, 0], metadata: undefined, uri: undefined }]);
  });

  it("typed metadata flows through get", async () => {
    const c = await seeded();
    const r = await c.get<{ k: number } & Metadata>();
    expect(r.metadatas[0]?.k).toBe(1);
  });
});

describe("a deleted collection's handle", () => {
  it("rejects every record operation with NotFoundError", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "gone" });
    await c.add({ ids: ["a"], embeddings: [[1]] });
    await client.deleteCollection({ name: "gone" });
    await expect(c.count()).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.get()).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.add({ ids: ["b"], embeddings: [[1]] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.query({ queryEmbeddings: [[1]] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.delete({ ids: ["a"] })).rejects.toBeInstanceOf(NotFoundError);
    const err = await c.upsert({ ids: ["a"], embeddings: [[1]] }).catch((e: unknown) => e);
    expect((err as NotFoundError).code).toBe("NOT_FOUND");
  });
});

describe("concurrent calls", () => {
  const vec = (i: number) => [i % 13, (i * 7) % 11, 1];

  it("overlapping writes and reads all settle and leave every write in place", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "concurrent", configuration: { hnsw: { sync_threshold: 20 } } });
    const ops: Promise<unknown>[] = [];
    for (let b = 0; b < 10; b++) {
      const ids = Array.from({ length: 150 }, (_, i) => `b${b}-${i}`);
      ops.push(c.add({ ids, embeddings: ids.map((_, i) => vec(b * 150 + i)), metadatas: ids.map(() => ({ batch: b })) }));
      ops.push(c.query({ queryEmbeddings: [vec(b)], nResults: 5 }));
      ops.push(c.get({ where: { batch: b }, include: [] }));
      if (b % 3 === 0) ops.push(client.flush());
    }
    await Promise.all(ops);
    expect(await c.count()).toBe(1500);
    await Promise.all([
      c.upsert({ ids: ["b0-0", "new"], embeddings: [vec(1), vec(2)] }),
      c.delete({ where: { batch: 9 } }),
      c.update({ ids: ["b1-1"], metadatas: [{ batch: 100 }] }),
      c.query({ queryEmbeddings: [vec(3)], nResults: 3 }),
    ]);
    expect(await c.count()).toBe(1500 - 150 + 1);
    expect((await c.get({ where: { batch: 100 }, include: [] })).ids).toEqual(["b1-1"]);
    await c.waitForIndexing();
    expect(await c.getIndexingStatus()).toMatchObject({ num_unindexed_ops: 0, total_ops: 1351 });
  });

  it("deleteCollection while writes and queries are in flight settles every call", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "racing" });
    await c.add({ ids: Array.from({ length: 1200 }, (_, i) => `r${i}`), embeddings: Array.from({ length: 1200 }, (_, i) => vec(i)) });
    const inflight = [
      c.add({ ids: ["late"], embeddings: [vec(5)] }),
      c.query({ queryEmbeddings: [vec(1)], nResults: 3 }),
      c.count(),
    ];
    const deleted = client.deleteCollection({ name: "racing" });
    const after = [c.get(), c.add({ ids: ["later"], embeddings: [vec(6)] })];
    const settled = await Promise.allSettled([...inflight, deleted, ...after]);
    expect(settled[3]!.status).toBe("fulfilled");
    for (const s of settled) {
      if (s.status === "rejected") expect(s.reason).toBeInstanceOf(NotFoundError);
    }
    for (const s of settled.slice(4)) expect(s.status).toBe("rejected");
    expect(await client.countCollections()).toBe(0);
  });

  it("close waits for in-flight writes, which are then on disk", async () => {
    const { client, dir } = tempClient();
    const c = await client.createCollection({ name: "closing" });
    const writes = [0, 1, 2].map((b) =>
      c.add({ ids: Array.from({ length: 500 }, (_, i) => `w${b}-${i}`), embeddings: Array.from({ length: 500 }, (_, i) => vec(i + b)) }),
    );
    const closed = client.close();
    await Promise.all(writes);
    await closed;
    const reopened = new PersistentClient({ path: dir });
    try {
      expect(await (await reopened.getCollection({ name: "closing" })).count()).toBe(1500);
    } finally {
      await reopened.close();
    }
  });
});
