/**
 * Input validation of writes, reads and client options, and atomicity: a batch rejected anywhere
 * (validation, engine checks, cancellation, timeout) changes nothing.
 */
import { describe, expect, it } from "vitest";
import {
  AbortError,
  InvalidArgumentError,
  PersistentClient,
  TimeoutError,
  type Collection,
  type EmbeddingFunction,
  type RecordSetArgs,
} from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

type WriteKind = "add" | "upsert" | "update";

async function seeded(options: Parameters<typeof tempClient>[0] = {}): Promise<Collection> {
  const { client } = tempClient(options);
  const c = await client.createCollection({ name: "validation" });
  await c.add({
    ids: ["a", "b", "c"],
    embeddings: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    documents: ["doc a", "doc b", null],
    metadatas: [{ k: 1, s: "a" }, { k: 2 }, null],
    uris: ["u:a", null, null],
  });
  return c;
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;
async function snapshot(c: Collection) {
  const r = await c.get({ include: ["documents", "metadatas", "embeddings", "uris"] });
  return { count: await c.count(), ...r, rows: r.rows() };
}

function write(c: Collection, kind: WriteKind, args: RecordSetArgs): Promise<void> {
  return kind === "add" ? c.add(args) : kind === "upsert" ? c.upsert(args) : c.update(args);
}

async function expectRejectedUnchanged(c: Collection, before: Snapshot, p: Promise<unknown>, cls: abstract new (...a: never[]) => Error = InvalidArgumentError) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  expect(await snapshot(c)).toEqual(before);
}

/**
 * Bad batches. Each puts the bad value after valid records, some of which are new and one of which
 * exists, so a non-atomic implementation would leave traces.
 */
const BAD_BATCHES: [string, RecordSetArgs][] = [
  ["empty string id", { ids: ["new1", "a", ""], embeddings: [[1, 1, 1], [2, 2, 2], [3, 3, 3]] }],
  ["non-string id", { ids: ["new1", "a", 7 as unknown as string], embeddings: [[1, 1, 1], [2, 2, 2], [3, 3, 3]] }],
  ["duplicate ids", { ids: ["new1", "a", "new1"], embeddings: [[1, 1, 1], [2, 2, 2], [3, 3, 3]] }],
  ["empty ids", { ids: [], embeddings: [] }],
  ["ids not an array", { ids: "a" as unknown as string[], embeddings: [[1, 1, 1]] }],
  ["NaN in an embedding", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], [3, Number.NaN, 3]] }],
  ["Infinity in an embedding", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], [3, Infinity, 3]] }],
  ["-Infinity in an embedding", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], [-Infinity, 3, 3]] }],
  ["a string in an embedding", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], [3, "3" as unknown as number, 3]] }],
  ["wrong dimension", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], [3, 3]] }],
  ["wrong dimension for the whole batch", { ids: ["new1", "a"], embeddings: [[1, 1], [2, 2]] }],
  ["mixed dimensions", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2, 2], [3, 3, 3]] }],
  ["empty embedding", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2], []] }],
  ["embeddings not an array", { ids: ["new1"], embeddings: "x" as unknown as number[][] }],
  ["fewer embeddings than ids", { ids: ["new1", "a", "new2"], embeddings: [[1, 1, 1], [2, 2, 2]] }],
  ["more documents than ids", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], documents: ["x", "y", "z"] }],
  ["fewer metadatas than ids", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }] }],
  ["fewer uris than ids", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], uris: ["u"] }],
  ["a number as a document", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], documents: ["x", 5 as unknown as string] }],
  ["metadata key starting with $", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { $bad: 1 }] }],
  ["metadata key starting with #", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { "#document": "x" }] }],
  ["empty metadata key", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { "": 1 }] }],
  ["nested object in metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { o: { x: 1 } as unknown as string }] }],
  ["mixed array in metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { arr: [1, "a"] as unknown as number[] }] }],
  ["empty array in metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { arr: [] as string[] }] }],
  ["array of objects in metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { arr: [{}] as unknown as string[] }] }],
  ["NaN in metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { n: Number.NaN }] }],
  ["Infinity in a metadata array", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, { n: [1, Infinity] }] }],
  ["empty metadata", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, {}] }],
  ["metadata not an object", { ids: ["new1", "a"], embeddings: [[1, 1, 1], [2, 2, 2]], metadatas: [{ k: 1 }, "x" as unknown as null] }],
  ["an empty documents list", { ids: ["new1"], embeddings: [[1, 1, 1]], documents: [] }],
];

describe.each(["add", "upsert", "update"] as const)("%s rejects bad batches atomically", (kind) => {
  it.each(BAD_BATCHES)("%s", async (_label, args) => {
    const c = await seeded();
    const before = await snapshot(c);
    await expectRejectedUnchanged(c, before, write(c, kind, args));
  });
});

describe("embeddings are required without an embedding function", () => {
  it.each(["add", "upsert"] as const)("%s with neither embeddings nor documents", async (kind) => {
    const c = await seeded();
    const before = await snapshot(c);
    await expectRejectedUnchanged(c, before, write(c, kind, { ids: ["new1"], metadatas: [{ k: 1 }] }));
    await expectRejectedUnchanged(c, before, write(c, kind, { ids: ["new1"], documents: ["text"] }));
  });
});

describe("max batch size", () => {
  it("5461 records are accepted, 5462 are rejected whole", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "batch" });
    const make = (n: number, prefix: string) => ({
      ids: Array.from({ length: n }, (_, i) => `${prefix}${i}`),
      embeddings: Array.from({ length: n }, (_, i) => [i, 1]),
    });
    await expect(c.add(make(5462, "x"))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(0);
    await c.add(make(5461, "y"));
    expect(await c.count()).toBe(5461);
    await expect(c.upsert(make(5462, "z"))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.update(make(5462, "y"))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(5461);
  });

  it("follows the maxBatchSize option", async () => {
    const { client } = tempClient({ maxBatchSize: 3 });
    expect(await client.getMaxBatchSize()).toBe(3);
    const c = await client.createCollection({ name: "small_batch" });
    await expect(c.add({ ids: ["a", "b", "c", "d"], embeddings: [[1], [2], [3], [4]] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await c.add({ ids: ["a", "b", "c"], embeddings: [[1], [2], [3]] });
    expect(await c.count()).toBe(3);
  });
});

describe("atomicity beyond validation", () => {
  it("a write cancelled before it starts changes nothing", async () => {
    const c = await seeded();
    const before = await snapshot(c);
    const signal = AbortSignal.abort(new Error("stop"));
    await expectRejectedUnchanged(
      c,
      before,
      c.upsert({ ids: ["a", "new1"], embeddings: [[5, 5, 5], [6, 6, 6]], signal }),
      AbortError,
    );
  });

  it("a write whose embedding function outlives the timeout changes nothing, even when it returns later", async () => {
    const { client } = tempClient();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ef: EmbeddingFunction = {
      generate: async (texts) => {
        await gate;
        return texts.map(() => [1, 2, 3]);
      },
    };
    const c = await client.createCollection({ name: "slow_ef", embeddingFunction: ef });
    await c.add({ ids: ["a"], embeddings: [[0, 0, 0]] });
    const before = await snapshot(c);
    const err = await c.add({ ids: ["new1", "new2"], documents: ["x", "y"], timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe("TIMEOUT");
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(await snapshot(c)).toEqual(before);
  });

  it("a long write that times out in the middle is rolled back", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "long_write" });
    await c.add({ ids: ["seed"], embeddings: [[0, 0, 0, 0]] });
    const n = 5000;
    const big = {
      ids: Array.from({ length: n }, (_, i) => `r${i}`),
      embeddings: Array.from({ length: n }, (_, i) => [i, i, i, i]),
      documents: Array.from({ length: n }, (_, i) => `document number ${i} `.repeat(20)),
      metadatas: Array.from({ length: n }, (_, i) => ({ i, tag: `t${i % 9}`, arr: [i, i + 1, i + 2] })),
    };
    const err = await c.add({ ...big, timeout: 1 }).catch((e: unknown) => e);
    // On a fast machine the whole batch can fit in one slice; either it all landed or none of it did.
    if (err === undefined) {
      expect(await c.count()).toBe(n + 1);
    } else {
      expect(err).toBeInstanceOf(TimeoutError);
      expect(await c.count()).toBe(1);
      expect((await c.get({ where: { tag: "t1" } })).ids).toEqual([]);
      const q = await c.query({ queryEmbeddings: [[4, 4, 4, 4]], nResults: 1, include: [] });
      expect(q.ids).toEqual([["seed"]]);
    }
  });

  it("a failed batch leaves the collection usable and the dimension unset when it was the first write", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "first_write" });
    await expect(c.add({ ids: ["a", "b"], embeddings: [[1, 2], [1, Number.NaN]] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await c.add({ ids: ["c"], embeddings: [[1, 2, 3, 4]] });
    expect((await c.get({ include: ["embeddings"] })).embeddings).toEqual([[1, 2, 3, 4]]);
  });
});

describe("read arguments", () => {
  it("get rejects bad ids, limit, offset and include", async () => {
    const c = await seeded();
    await expect(c.get({ ids: [""] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ ids: "a" as unknown as string[] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ limit: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ offset: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ include: "documents" as unknown as [] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("delete rejects bad ids and limits and deletes nothing", async () => {
    const c = await seeded();
    await expect(c.delete({ ids: ["a", ""] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.delete({ where: { k: 1 }, limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(3);
  });
});

describe("client options", () => {
  it("unknown option keys are rejected", () => {
    const path = tempDir();
    const err = (() => {
      try {
        new PersistentClient({ path, allowreset: true } as unknown as { path: string });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe("INVALID_ARGUMENT");
  });

  it("a negative or non-numeric timeout is rejected", () => {
    const path = tempDir();
    expect(() => new PersistentClient({ path, timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => new PersistentClient({ path, timeout: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it("PersistentClient.open rejects the same way", async () => {
    await expect(PersistentClient.open({ path: tempDir(), bogus: 1 } as unknown as { path: string })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
