/**
 * Folders written before the full-text indexes existed (schema 1): opening migrates them, `$contains`
 * stays exact while the indexes are backfilled in the background, and BM25 search finishes its
 * collection's backfill first.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Knn, PersistentClient } from "../../src/index.js";
import { SQLITE_FILE } from "../../src/store/sqlite-store.js";
import { tempDir } from "../helpers/tmp.js";

/** Turns a current folder back into a schema-1 folder: no FTS tables, version 1. */
function downgrade(dir: string): void {
  const db = new Database(path.join(dir, SQLITE_FILE));
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'fts_sub_[0-9]*' OR name GLOB 'fts_bm25_[0-9]*') AND name NOT GLOB '*_*_*_*'")
    .pluck()
    .all() as string[];
  for (const t of tables) db.exec(`DROP TABLE ${t}`);
  db.prepare("UPDATE store_info SET value = '1' WHERE key = 'schema_version'").run();
  db.close();
}

function pendingKeys(dir: string): string[] {
  const db = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
  try {
    return db.prepare("SELECT key FROM store_info WHERE key LIKE 'fts_backfill:%'").pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe("schema 1 folders", () => {
  it("are migrated and backfilled; results are the same before, during and after", async () => {
    const dir = tempDir();
    const n = 3000;
    const docs = Array.from({ length: n }, (_, i) => `record ${i} talks about ${i % 7 === 0 ? "supersonic wings" : "boundary layers"} and Item${i}`);
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "old" });
      await c.add({ ids: docs.map((_, i) => `r${i}`), embeddings: docs.map((_, i) => [i % 5, 1]), documents: docs });
      const other = await client.createCollection({ name: "other" });
      await other.add({ ids: ["x"], embeddings: [[1, 1]], documents: ["supersonic"] });
      await client.close();
    }
    downgrade(dir);
    const expected = docs.flatMap((d, i) => (d.includes("Item12") ? [`r${i}`] : []));

    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.getCollection({ name: "old" });
      // Right after opening (backfill under way or not): exact.
      expect((await c.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual(expected);
      // A write during the backfill is indexed too.
      await c.add({ ids: ["late"], embeddings: [[0, 1]], documents: ["a late Item12 about supersonic wings"] });
      const res = await c.search({ rank: Knn({ query: "supersonic wing", key: "#document", limit: 1000 }), limit: 1000 });
      expect(res.ids[0]).toContain("late");
      expect(res.ids[0]!.length).toBe(docs.filter((d) => d.includes("supersonic")).length + 1);
      expect((await c.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual([...expected, "late"]);
      // The background backfill reaches the other collection too.
      const deadline = Date.now() + 10_000;
      while (pendingKeys(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await client.close();
      expect(pendingKeys(dir)).toEqual([]);
    } finally {
      await client.close();
    }
    const reopened = new PersistentClient({ path: dir });
    const other = await reopened.getCollection({ name: "other" });
    expect((await other.search({ rank: Knn({ query: "supersonic", key: "#document" }) })).ids).toEqual([["x"]]);
    await reopened.close();
  });

  it("a folder closed mid-backfill resumes where it stopped", async () => {
    const dir = tempDir();
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "resume" });
      const docs = Array.from({ length: 5000 }, (_, i) => `document number ${i} with words`);
      await c.add({ ids: docs.map((_, i) => `${i}`), embeddings: docs.map(() => [1]), documents: docs });
      await client.close();
    }
    downgrade(dir);
    const first = new PersistentClient({ path: dir });
    await first.heartbeat();
    await first.close(); // stops the backfill after at most one slice
    const second = new PersistentClient({ path: dir });
    const c = await second.getCollection({ name: "resume" });
    expect((await c.search({ rank: Knn({ query: "number", key: "#document", limit: 10_000 }), limit: 10_000 })).ids[0]!.length).toBe(5000);
    expect((await c.get({ whereDocument: { $contains: "number 4999 " } })).ids).toEqual(["4999"]);
    await second.close();
  });
});
