/**
 * Persistence: close and reopen in one process, and the vector index as derived data (rebuilt or
 * caught up from SQLite when its files are missing, damaged or stale).
 * Index layout (src/vector/hnsw-index.ts): <path>/index/<collection-id>/{index.json, hnsw-N.bin, deleted-N.bin}.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClosedError,
  InvalidArgumentError,
  type CloseOptions,
  PersistentClient,
  type Collection,
  type Logger,
  type PersistentClientOptions,
} from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";
import { LEASE_FILE } from "../../src/vector/indexer-lease.js";
import { rng } from "../helpers/rng.js";

interface Manifest {
  seq: number;
  liveCount: number;
  dimension: number;
  graph: { name: string; size: number };
  deleted: { name: string; size: number };
}

function readManifest(dir: string, collectionId: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, "index", collectionId, "index.json"), "utf8")) as Manifest;
}

/** Opens a client that records warnings, closed when the test finishes. */
function open(dir: string, options: Omit<PersistentClientOptions, "path" | "logger"> = {}) {
  const warnings: string[] = [];
  const logger: Logger = { warn: (_obj, msg) => warnings.push(msg ?? "") };
  const client = new PersistentClient({ path: dir, logger, ...options });
  return { client, warnings };
}

async function withClient<T>(
  dir: string,
  fn: (client: PersistentClient, warnings: string[]) => Promise<T>,
  closeOptions: CloseOptions = {},
): Promise<T> {
  const { client, warnings } = open(dir);
  try {
    return await fn(client, warnings);
  } finally {
    await client.close(closeOptions);
  }
}

describe("close and reopen", () => {
  it("a new client on the folder sees collections, records, settings, tenants and databases", async () => {
    const dir = tempDir();
    await withClient(dir, async (client) => {
      await client.createTenant({ name: "acme" });
      await client.createDatabase({ name: "db2", tenant: "acme" });
      const c = await client.createCollection({
        name: "kept",
        metadata: { owner: "me" },
        configuration: { hnsw: { space: "cosine", ef_search: 42 } },
      });
      await c.add({
        ids: ["c", "a", "b", "gone"],
        embeddings: [
          [0, 0, 1],
          [1, 0, 0],
          [0, 1, 0],
          [1, 1, 1],
        ],
        documents: ["doc c", null, "doc b", "doc gone"],
        metadatas: [{ k: 3, tags: ["x"] }, null, { k: 2, f: 2.5, flag: true }, { k: 9 }],
        uris: ["u:c", null, null, null],
      });
      await c.upsert({ ids: ["c"], embeddings: [[0, 0, 2]], metadatas: [{ k: 30 }] });
      await c.delete({ ids: ["gone"] });
      await c.modify({ name: "kept_renamed", configuration: { hnsw: { ef_search: 64 } } });
      await client.createCollection({ name: "second" });
    });

    await withClient(dir, async (client) => {
      expect((await client.listCollections()).map((c) => c.name)).toEqual(["kept_renamed", "second"]);
      const c = await client.getCollection({ name: "kept_renamed" });
      expect(c.metadata).toEqual({ owner: "me" });
      expect(c.configuration.hnsw).toMatchObject({ space: "cosine", ef_search: 64 });
      const r = await c.get({ include: ["documents", "metadatas", "embeddings", "uris"] });
      expect(r.ids).toEqual(["c", "a", "b"]);
      expect(r.embeddings).toEqual([
        [0, 0, 2],
        [1, 0, 0],
        [0, 1, 0],
      ]);
      expect(r.documents).toEqual(["doc c", null, "doc b"]);
      expect(r.metadatas).toEqual([{ k: 30, tags: ["x"] }, null, { k: 2, f: 2.5, flag: true }]);
      expect(r.uris).toEqual(["u:c", null, null]);
      expect((await c.get({ where: { tags: { $contains: "x" } } })).ids).toEqual(["c"]);
      const q = await c.query({ queryEmbeddings: [[0, 0, 1]], nResults: 3, include: ["distances"] });
      expect(q.ids).toEqual([["c", "a", "b"]]);
      expect(q.distances[0]![0]).toBe(0);
      // The dimension is remembered.
      await expect(c.add({ ids: ["d"], embeddings: [[1, 2]] })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await client.getTenant({ name: "acme" })).toBe("acme");
      expect((await client.getDatabase({ name: "db2", tenant: "acme" })).name).toBe("db2");
    });
  });

  it("after close every call rejects with ClosedError; close is idempotent", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "closing" });
    await c.add({ ids: ["a"], embeddings: [[1]] });
    await client.close();
    await client.close();
    const err = await c.count().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClosedError);
    expect((err as ClosedError).code).toBe("CLOSED");
    await expect(client.listCollections()).rejects.toBeInstanceOf(ClosedError);
    await expect(c.add({ ids: ["b"], embeddings: [[1]] })).rejects.toBeInstanceOf(ClosedError);
  });

  it("a closed folder holds no lock, WAL or shared-memory file", async () => {
    const dir = tempDir();
    await withClient(dir, async (client) => {
      const c = await client.createCollection({ name: "files" });
      await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    });
    const names = fs.readdirSync(dir);
    expect(names).toContain("chroma.sqlite3");
    expect(names.filter((n) => n.endsWith(".lock") || n.endsWith("-wal") || n.endsWith("-shm"))).toEqual([]);
  });

  it("two clients on one folder in one process share it; closing one keeps the other working", async () => {
    const dir = tempDir();
    const first = new PersistentClient({ path: dir });
    const second = new PersistentClient({ path: dir });
    try {
      const c1 = await first.createCollection({ name: "shared" });
      await c1.add({ ids: ["a"], embeddings: [[1]] });
      const c2 = await second.getCollection({ name: "shared" });
      expect(await c2.count()).toBe(1);
      await first.close();
      await c2.add({ ids: ["b"], embeddings: [[2]] });
      expect(await c2.count()).toBe(2);
    } finally {
      await first.close();
      await second.close();
    }
    await withClient(dir, async (client) => {
      expect(await (await client.getCollection({ name: "shared" })).count()).toBe(2);
    });
  });

  it("flush while background saves run: every flush succeeds and the saved index is complete", async () => {
    const dir = tempDir();
    let id = "";
    await withClient(dir, async (client, warnings) => {
      const c = await client.createCollection({ name: "flushing", configuration: { hnsw: { sync_threshold: 20 } } });
      id = c.id;
      const r = rng(3);
      for (let round = 0; round < 8; round++) {
        const ids = Array.from({ length: 300 }, (_, i) => `r${round}-${i}`);
        await c.add({ ids, embeddings: ids.map(() => Array.from({ length: 16 }, () => r())) });
        for (let j = 0; j < 10; j++) {
          // Overlapping flushes, and flushes landing on the indexer's own saves.
          await Promise.all([client.flush(), client.flush()]);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
      await c.waitForIndexing();
      await client.flush();
      expect(warnings).toEqual([]);
    });
    const manifest = readManifest(dir, id);
    expect(manifest.liveCount).toBe(2400);
    expect(fs.readdirSync(path.join(dir, "index", id)).sort()).toEqual(
      [manifest.deleted.name, manifest.graph.name, "index.json", LEASE_FILE].sort(),
    );
  });

  it("deleting a collection removes its index folder", async () => {
    const dir = tempDir();
    let id = "";
    await withClient(dir, async (client) => {
      const c = await client.createCollection({ name: "doomed", configuration: { hnsw: { sync_threshold: 10 } } });
      id = c.id;
      await c.add({ ids: Array.from({ length: 50 }, (_, i) => `r${i}`), embeddings: Array.from({ length: 50 }, (_, i) => [i, 1]) });
      await c.waitForIndexing();
      await client.flush();
      expect(fs.existsSync(path.join(dir, "index", id, "index.json"))).toBe(true);
      await client.deleteCollection({ name: "doomed" });
      expect(fs.existsSync(path.join(dir, "index", id))).toBe(false);
    });
    await withClient(dir, async (client) => {
      expect(await client.countCollections()).toBe(0);
    });
  });
});

// ------------------------------------------------------------------ the index as derived data

const N = 3000;
const DIM = 16;

const rand = rng(7);
const VECTORS = Array.from({ length: N }, () => Array.from({ length: DIM }, () => Math.fround(rand() * 2 - 1)));
const IDS = VECTORS.map((_, i) => `v${i}`);
const QUERIES = Array.from({ length: 10 }, () => Array.from({ length: DIM }, () => rand() * 2 - 1));

function l2(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

/** Checks answers against brute force over `live` (id → vector): stored vectors find themselves; recall of random queries. */
async function expectCorrectAnswers(c: Collection, live: Map<string, number[]>, opts: { exact: boolean }): Promise<void> {
  const entries = [...live];
  const probes = [entries[0]!, entries[Math.floor(entries.length / 2)]!, entries[entries.length - 1]!];
  const self = await c.query({ queryEmbeddings: probes.map(([, v]) => v), nResults: 1, include: ["distances"] });
  expect(self.ids).toEqual(probes.map(([id]) => [id]));
  expect(self.distances).toEqual(probes.map(() => [0]));

  const k = 10;
  const r = await c.query({ queryEmbeddings: QUERIES, nResults: k, include: ["distances"] });
  let found = 0;
  QUERIES.forEach((q, qi) => {
    const truth = entries.map(([id, v]) => ({ id, d: l2(q, v) })).sort((x, y) => x.d - y.d);
    const kth = truth[k - 1]!.d;
    const got = r.ids[qi]!;
    expect(got).toHaveLength(k);
    for (const id of got) {
      expect(live.has(id)).toBe(true);
      if (l2(q, live.get(id)!) <= kth + 1e-6) found++;
    }
    if (opts.exact) expect(got).toEqual(truth.slice(0, k).map((t) => t.id));
  });
  expect(found / (QUERIES.length * k)).toBeGreaterThanOrEqual(0.95);
}

describe("the vector index is rebuilt or caught up from SQLite", () => {
  /** A folder holding N x DIM records, fully indexed and saved; each test works on a copy. */
  let template = "";
  let collectionId = "";

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-template-"));
    const client = new PersistentClient({ path: template });
    try {
      const c = await client.createCollection({ name: "big" });
      collectionId = c.id;
      for (let i = 0; i < N; i += 1500) {
        await c.add({ ids: IDS.slice(i, i + 1500), embeddings: VECTORS.slice(i, i + 1500) });
      }
      await c.waitForIndexing();
    } finally {
      await client.close();
    }
  });

  afterAll(() => {
    if (template) fs.rmSync(template, { recursive: true, force: true });
  });

  function copyOfTemplate(): string {
    const dir = tempDir();
    fs.cpSync(template, dir, { recursive: true });
    return dir;
  }

  function indexDir(dir: string): string {
    return path.join(dir, "index", collectionId);
  }

  function graphFile(dir: string): string {
    return path.join(indexDir(dir), readManifest(dir, collectionId).graph.name);
  }

  const allLive = () => new Map(IDS.map((id, i) => [id, VECTORS[i]!]));

  it("close saves the index: a manifest naming the graph and deleted-label files", () => {
    const manifest = readManifest(template, collectionId);
    expect(manifest.liveCount).toBe(N);
    expect(manifest.dimension).toBe(DIM);
    expect(fs.readdirSync(indexDir(template)).sort()).toEqual([manifest.deleted.name, manifest.graph.name, "index.json", LEASE_FILE].sort());
    expect(fs.statSync(path.join(indexDir(template), manifest.graph.name)).size).toBe(manifest.graph.size);
  });

  it("a saved, intact index is loaded without a rebuild and answers through HNSW", async () => {
    const dir = copyOfTemplate();
    await withClient(dir, async (client, warnings) => {
      const c = await client.getCollection({ name: "big" });
      await expectCorrectAnswers(c, allLive(), { exact: false });
      expect(await c.getIndexingStatus()).toMatchObject({ num_unindexed_ops: 0, total_ops: N });
      expect(warnings).toEqual([]);
    });
  });

  const damages: [string, (dir: string) => void, boolean][] = [
    ["the index folder is deleted", (dir) => fs.rmSync(indexDir(dir), { recursive: true }), false],
    ["the graph file is truncated", (dir) => fs.truncateSync(graphFile(dir), 1000), true],
    ["the graph file is emptied", (dir) => fs.truncateSync(graphFile(dir), 0), true],
    [
      "bytes of the graph file are overwritten (same size)",
      (dir) => {
        const fd = fs.openSync(graphFile(dir), "r+");
        try {
          fs.writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 20_000);
        } finally {
          fs.closeSync(fd);
        }
      },
      true,
    ],
    ["the graph file is deleted", (dir) => fs.rmSync(graphFile(dir)), true],
    [
      "the deleted-labels file is deleted",
      (dir) => fs.rmSync(path.join(indexDir(dir), readManifest(dir, collectionId).deleted.name)),
      true,
    ],
    ["the manifest is not JSON", (dir) => fs.writeFileSync(path.join(indexDir(dir), "index.json"), "{not json"), true],
  ];

  it.each(damages)("%s: the reopened client answers exactly, then rebuilds and saves a valid index", async (_label, damage, warns) => {
    const dir = copyOfTemplate();
    damage(dir);
    await withClient(dir, async (client, warnings) => {
      const c = await client.getCollection({ name: "big" });
      // The damage is detected: the index is rebuilt from SQLite, so every vector is queued again...
      expect(await c.getIndexingStatus()).toMatchObject({ num_unindexed_ops: N, total_ops: N });
      if (warns) expect(warnings.length).toBeGreaterThan(0);
      // ...and, pending, scanned exactly.
      await expectCorrectAnswers(c, allLive(), { exact: true });
      await c.waitForIndexing();
      expect(await c.getIndexingStatus()).toMatchObject({ num_unindexed_ops: 0, num_indexed_ops: N });
      await expectCorrectAnswers(c, allLive(), { exact: false });
    });
    expect(readManifest(dir, collectionId).liveCount).toBe(N);
    // And the rebuilt index is good: the next open loads it without complaint.
    await withClient(dir, async (client, warnings) => {
      const c = await client.getCollection({ name: "big" });
      await expectCorrectAnswers(c, allLive(), { exact: false });
      expect(warnings).toEqual([]);
    });
  });

  /** Applies writes to a copy, indexes and closes, then puts the template's (older) index back in place. */
  async function staleIndexAfter(writes: (c: Collection, live: Map<string, number[]>) => Promise<void>) {
    const dir = copyOfTemplate();
    const live = allLive();
    await withClient(dir, async (client) => {
      const c = await client.getCollection({ name: "big" });
      await writes(c, live);
      // Indexed before the close, so the saved index is newer than the template's.
      await c.waitForIndexing();
    });
    expect(readManifest(dir, collectionId).seq).toBeGreaterThan(readManifest(template, collectionId).seq);
    fs.rmSync(indexDir(dir), { recursive: true });
    fs.cpSync(indexDir(template), indexDir(dir), { recursive: true });
    return { dir, live };
  }

  it("an older index is caught up from the log (updates and adds)", async () => {
    const r = rng(11);
    const { dir, live } = await staleIndexAfter(async (c, model) => {
      const updated = IDS.slice(100, 300);
      const newVectors = updated.map(() => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1)));
      await c.update({ ids: updated, embeddings: newVectors });
      updated.forEach((id, i) => model.set(id, newVectors[i]!));
      const added = Array.from({ length: 300 }, (_, i) => `added${i}`);
      const addedVectors = added.map(() => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1)));
      await c.add({ ids: added, embeddings: addedVectors });
      added.forEach((id, i) => model.set(id, addedVectors[i]!));
    });
    await withClient(dir, async (client, warnings) => {
      const c = await client.getCollection({ name: "big" });
      expect(await c.count()).toBe(N + 300);
      await expectCorrectAnswers(c, live, { exact: false });
      // An updated record is found at its new place, not its old one.
      const moved = await c.query({ queryEmbeddings: [live.get("v150")!, VECTORS[150]!], nResults: 1, include: ["distances"] });
      expect(moved.ids[0]).toEqual(["v150"]);
      expect(moved.distances[0]).toEqual([0]);
      expect(moved.ids[1]).not.toEqual(["v150"]);
      await c.waitForIndexing();
      await expectCorrectAnswers(c, live, { exact: false });
      expect(warnings).toEqual([]);
    });
  });

  it("closing at once (cancel) with vectors still pending saves the index below them; the next open catches up", async () => {
    const dir = copyOfTemplate();
    const live = allLive();
    const r = rng(13);
    const templateSeq = readManifest(template, collectionId).seq;
    await withClient(dir, async (client) => {
      const c = await client.getCollection({ name: "big" });
      const added = Array.from({ length: 1000 }, (_, i) => `late${i}`);
      const vectors = added.map(() => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1)));
      await c.add({ ids: added, embeddings: vectors });
      added.forEach((id, i) => live.set(id, vectors[i]!));
    }, { cancel: true });
    // Whatever the indexer got through before the close, the manifest never claims the pending batch.
    expect(readManifest(dir, collectionId).seq).toBe(templateSeq);
    await withClient(dir, async (client, warnings) => {
      const c = await client.getCollection({ name: "big" });
      await expectCorrectAnswers(c, live, { exact: false });
      await c.waitForIndexing();
      expect(await c.getIndexingStatus()).toMatchObject({ num_unindexed_ops: 0, total_ops: N + 1000 });
      await expectCorrectAnswers(c, live, { exact: false });
      expect(warnings).toEqual([]);
    });
    expect(readManifest(dir, collectionId)).toMatchObject({ seq: templateSeq + 1, liveCount: N + 1000 });
  });

  it("an older index that misses deletions is never trusted for them", async () => {
    const { dir, live } = await staleIndexAfter(async (c, model) => {
      const deleted = IDS.filter((_, i) => i % 7 === 0);
      await c.delete({ ids: deleted });
      for (const id of deleted) model.delete(id);
      // Re-adding an id gives it a new row; the stale index still holds the old one.
      await c.add({ ids: ["v0"], embeddings: [VECTORS[1]!.map((x) => -x)] });
      model.set("v0", VECTORS[1]!.map((x) => -x));
    });
    await withClient(dir, async (client) => {
      const c = await client.getCollection({ name: "big" });
      expect(await c.count()).toBe(live.size);
      await c.waitForIndexing();
      await expectCorrectAnswers(c, live, { exact: false });
      // Deleted vectors are never returned, even when queried exactly.
      const r = await c.query({ queryEmbeddings: [VECTORS[7]!, VECTORS[14]!, VECTORS[0]!], nResults: 5, include: [] });
      for (const list of r.ids) for (const id of list) expect(live.has(id)).toBe(true);
      expect(r.ids[0]).not.toContain("v7");
      expect((await c.getIndexingStatus()).num_indexed_ops + (await c.getIndexingStatus()).num_unindexed_ops).toBe(live.size);
    });
  });
});
