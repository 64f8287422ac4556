import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { PersistentClient } from "../../src/index.js";
import { openWriter } from "../../src/store/connections.js";
import { tempDir } from "../helpers/tmp.js";

const DIM = 1024;
const BATCHES = 20;
const BATCH = 1000;
/** Bytes of vectors written: 82 MB. Without the restarts the WAL holds every page written since the open. */
const WRITTEN = BATCHES * BATCH * DIM * 4;

function batch(from: number): number[][] {
  let s = from + 1;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: BATCH }, () => Array.from({ length: DIM }, r));
}

const walBytes = (dir: string) => fs.statSync(path.join(dir, "chroma.sqlite3-wal"), { throwIfNoEntry: false })?.size ?? 0;

describe("the WAL under a stream of writes", () => {
  it("is restarted as it goes, so it stays far smaller than what was written, and nothing is lost", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.createCollection({ name: "stream" });
      let largest = 0;
      // Writers queue behind one another, as under load: the write mutex is never idle for long.
      await Promise.all(
        Array.from({ length: BATCHES }, async (_, b) => {
          const embeddings = batch(b * BATCH);
          await c.add({ ids: embeddings.map((_, j) => `id${b * BATCH + j}`), embeddings });
          largest = Math.max(largest, walBytes(dir));
        }),
      );
      expect(largest).toBeLessThan(WRITTEN / 2);
      expect(await c.count()).toBe(BATCHES * BATCH);
      const got = await c.get({ ids: ["id19999"], include: ["embeddings"] });
      expect(Array.from(got.embeddings[0]!, Math.fround)).toEqual(batch(19 * BATCH)[999]!.map(Math.fround));
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe("the WAL's restarts", () => {
  it("empty the file on the checkpoint thread, so the writer's next commit has nothing to cut back", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.createCollection({ name: "restarts" });
      const sizes: number[] = [];
      for (let b = 0; b < 8; b++) {
        const embeddings = batch(b * BATCH); // 4 MB a batch: the log starts over about every 4
        await c.add({ ids: embeddings.map((_, j) => `id${b * BATCH + j}`), embeddings });
        sizes.push(walBytes(dir));
      }
      // SQLite starts the log over in place once its frames are in the database; the file keeps its
      // size (cut back by the writer's commit, to journal_size_limit at the least). Emptied, it shrinks.
      const high = Math.max(...sizes.slice(0, 4));
      expect(high).toBeGreaterThan(8 << 20);
      expect(Math.min(...sizes.slice(4))).toBeLessThan(high / 2);
      expect(await c.count()).toBe(8 * BATCH);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe("the WAL at rest", () => {
  it("is cut back to 16 MB at the first commit after the log starts over, not kept at its high-water size", () => {
    const dir = tempDir();
    const file = path.join(dir, "chroma.sqlite3");
    const db = openWriter(file, "normal");
    const other = new Database(file);
    try {
      db.exec("CREATE TABLE blobs (b BLOB)");
      const insert = db.prepare("INSERT INTO blobs (b) VALUES (?)");
      db.transaction(() => {
        for (let i = 0; i < 40; i++) insert.run(Buffer.alloc(1 << 20, i));
      })();
      const high = walBytes(dir);
      expect(high).toBeGreaterThan(40 << 20);
      // Another connection copies the log into the database (as the checkpoint thread does); the next
      // write starts the log over.
      other.pragma("wal_checkpoint(PASSIVE)");
      insert.run(Buffer.alloc(100, 1));
      expect(walBytes(dir)).toBeLessThanOrEqual(16 << 20);
      expect(db.prepare("SELECT count(*) FROM blobs").pluck().get()).toBe(41);
    } finally {
      other.close();
      db.close();
    }
  });
});
