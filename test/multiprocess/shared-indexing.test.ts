/**
 * One process indexes for the others (src/vector/indexer-lease.ts): a process that only writes does
 * not index when another one holds the collection's lease; the holder catches up in the background,
 * with no call of its own, and writers hold back on its backlog; when the holder closes or dies, a
 * process with the collection loaded takes the lease over, or a writer indexes for itself.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { IndexerLease, type HolderProgress } from "../../src/vector/indexer-lease.js";
import { tempDir } from "../helpers/tmp.js";
import { openProcs, spawnProc, type CollectionInfo, type Proc } from "./harness.js";

const DIM = 128;
/** Over twice the backlog a writer may leave (2^21 floats = 16,384 vectors of 128): it must wait for indexing. */
const ROWS = 40_000;
const STATUS = "getIndexingStatus";

interface Status {
  num_unindexed_ops: number;
  total_ops: number;
}

/** The collection's write seq as SQLite has it. */
function seqOf(dir: string, id: string): number {
  const db = new Database(path.join(dir, "chroma.sqlite3"), { readonly: true });
  try {
    return (db.prepare("SELECT seq FROM collections WHERE id = ?").get(id) as { seq: number }).seq;
  } finally {
    db.close();
  }
}

/** Waits until the lease holder has published that its graph holds every change up to `seq`: what it published last. */
async function indexedThrough(indexDir: string, seq: number, limitMs = 30_000): Promise<HolderProgress | undefined> {
  const until = Date.now() + limitMs;
  const done = (p: HolderProgress | undefined) => p !== undefined && p.seq >= seq && p.pending === 0;
  let seen = IndexerLease.peek(indexDir);
  while (!done(seen) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    seen = IndexerLease.peek(indexDir);
  }
  return seen;
}

async function setup(procs: Proc[]): Promise<string> {
  const col = await procs[0]!.client<CollectionInfo>("createCollection", { name: "shared" });
  await procs[0]!.col(col.id, "add", { ids: ["seed"], embeddings: [Array.from({ length: DIM }, (_, i) => (i === 0 ? 1 : 0))] });
  return col.id;
}

describe("one process indexes for the others", () => {
  it("a writer holds back on the idle holder's backlog, which catches up and indexes with no call of its own", async () => {
    const dir = tempDir("cl-mp-shared-");
    // The writer's calls time out in 20 s: a holder that waited for a call of its own would leave it waiting.
    const [holder, writer] = await openProcs(2, dir, { timeout: 20_000 });
    const id = await setup([holder!, writer!]);
    await holder!.col(id, "query", { queryEmbeddings: [Array(DIM).fill(0.5)], nResults: 1 }); // loads: holds the lease
    const indexDir = path.join(dir, "index", id);
    expect(IndexerLease.peek(indexDir), "the querying process holds the lease").toBeDefined();

    await writer!.call({ op: "bulkAdd", collection: id, prefix: "w", count: ROWS, batch: 1000, seed: 3, dim: DIM });
    const seq = seqOf(dir, id);
    expect(await indexedThrough(indexDir, seq), "the holder's graph holds every write").toEqual({ seq, pending: 0 });
    // The holder's first call since: nothing left to catch up or index.
    const status = await holder!.col<Status>(id, STATUS);
    expect(status).toMatchObject({ num_unindexed_ops: 0, total_ops: ROWS + 1 });
    const hit = await holder!.col<{ ids: string[][] }>(id, "query", { queryEmbeddings: [Array.from({ length: DIM }, (_, i) => (i === 0 ? 1 : 0))], nResults: 1 });
    expect(hit.ids).toEqual([["seed"]]);
  });

  it("when the holder closes, a process with the collection loaded takes the lease over", async () => {
    const dir = tempDir("cl-mp-shared-");
    const [first, second, writer] = await openProcs(3, dir, { timeout: 20_000 });
    const id = await setup([first!, second!, writer!]);
    const q = { queryEmbeddings: [Array(DIM).fill(0.5)], nResults: 1 };
    await first!.col(id, "query", q); // the holder
    await second!.col(id, "query", q); // loaded, without the lease
    await first!.close();
    await new Promise((r) => setTimeout(r, 300)); // the second's watch takes the lease (every 20 ms)
    const indexDir = path.join(dir, "index", id);
    expect(IndexerLease.peek(indexDir), "the second process took the lease").toBeDefined();

    await writer!.call({ op: "bulkAdd", collection: id, prefix: "w", count: ROWS, batch: 1000, seed: 4, dim: DIM });
    const seq = seqOf(dir, id);
    expect(await indexedThrough(indexDir, seq)).toEqual({ seq, pending: 0 });
    await writer!.close();
    // The writer never took the lease: it is still the second process's after the writer is gone.
    expect(IndexerLease.peek(indexDir)).toEqual({ seq, pending: 0 });
    expect(await second!.col<Status>(id, STATUS)).toMatchObject({ num_unindexed_ops: 0, total_ops: ROWS + 1 });
  });

  it("a closing holder gives the lease up before it finishes indexing, so writers elsewhere do not wait on it", async () => {
    const dir = tempDir("cl-mp-shared-");
    const [holder] = await openProcs(1, dir, { timeout: 20_000 });
    const id = await setup([holder!]);
    await holder!.call({ op: "bulkAdd", collection: id, prefix: "h", count: ROWS, batch: 2000, seed: 6, dim: DIM });
    const backlog = IndexerLease.peek(path.join(dir, "index", id));
    expect(backlog?.pending, "the holder has vectors to index before it closes").toBeGreaterThan(1000);
    const closing = holder!.close().then(() => undefined, (err: unknown) => err); // awaited below, also if an expect fails first
    onTestFinished(async () => void (await closing));
    while (IndexerLease.peek(path.join(dir, "index", id)) !== undefined) await new Promise((r) => setTimeout(r, 1));
    // The lease is free before close has indexed everything and saved it (it saves the whole index last).
    const manifest = path.join(dir, "index", id, "index.json");
    const saved = fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, "utf8")) as { liveCount: number }).liveCount : 0;
    expect(saved, "vectors in the saved index when the lease was seen free").toBeLessThan(ROWS + 1);
    expect(await closing).toBeUndefined();
    expect((JSON.parse(fs.readFileSync(manifest, "utf8")) as { liveCount: number }).liveCount, "close indexed and saved everything").toBe(ROWS + 1);
  });

  it("when the holder is killed mid-import, the writer indexes for itself and loses nothing", async () => {
    const dir = tempDir("cl-mp-shared-");
    const [holder, writer] = await openProcs(2, dir, { timeout: 20_000 });
    const id = await setup([holder!, writer!]);
    await holder!.col(id, "query", { queryEmbeddings: [Array(DIM).fill(0.5)], nResults: 1 });
    let imported = false;
    const importing = writer!.call({ op: "bulkAdd", collection: id, prefix: "w", count: ROWS, batch: 500, seed: 5, dim: DIM }).then(() => (imported = true));
    await new Promise((r) => setTimeout(r, 400));
    await holder!.kill();
    expect(imported, "the import was still running when the holder died").toBe(false);
    await importing;
    await writer!.col(id, "waitForIndexing");
    expect(IndexerLease.peek(path.join(dir, "index", id)), "the writer holds the lease now").toBeDefined();
    expect(await writer!.col<Status>(id, STATUS)).toMatchObject({ num_unindexed_ops: 0, total_ops: ROWS + 1 });
    const reader = await spawnProc("reader");
    await reader.open({ path: dir, readOnly: true });
    expect(await reader.col<number>(id, "count")).toBe(ROWS + 1);
  });
});
