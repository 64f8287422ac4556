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

/** The backfill progress the folder holds: collection key → last rid indexed. */
function backfillProgress(dir: string): Map<string, number> {
  const db = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
  try {
    const rows = db.prepare("SELECT key, value FROM store_info WHERE key LIKE 'fts_backfill:%'").all() as { key: string; value: string }[];
    return new Map(rows.map((r) => [r.key, Number(r.value)]));
  } finally {
    db.close();
  }
}

const pendingKeys = (dir: string): string[] => [...backfillProgress(dir).keys()];

describe("schema 1 folders", () => {
  it("are migrated and backfilled; results are the same before, during and after", async () => {
    const dir = tempDir();
    const n = 3000;
    const docs = Array.from({ length: n }, (_, i) => `record ${i} talks about ${i % 7 === 0 ? "supersonic wings" : "boundary layers"} and Item${i}`);
    const expected = docs.flatMap((d, i) => (d.includes("Item12") ? [`r${i}`] : []));
    const supersonic = docs.filter((d) => d.includes("supersonic")).length;
    const bm25 = { rank: Knn({ query: "supersonic wing", key: "#document", limit: 1000 }), limit: 1000 };
    let before: string[];
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "old" });
      await c.add({ ids: docs.map((_, i) => `r${i}`), embeddings: docs.map((_, i) => [i % 5, 1]), documents: docs });
      const other = await client.createCollection({ name: "other" });
      await other.add({ ids: ["x"], embeddings: [[1, 1]], documents: ["supersonic"] });
      // Before: the answers of a folder that always had its indexes.
      expect((await c.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual(expected);
      before = (await c.search(bm25)).ids[0]!;
      expect(before).toHaveLength(supersonic);
      await client.close();
    }
    downgrade(dir);

    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.getCollection({ name: "old" });
      // During: the migration marked both collections, and the backfill of "old" is under way.
      expect(pendingKeys(dir)).toHaveLength(2);
      expect((await c.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual(expected);
      // A write during the backfill is indexed too.
      await c.add({ ids: ["late"], embeddings: [[0, 1]], documents: ["a late Item12 about supersonic wings"] });
      // BM25 finishes its collection's backfill first: the same ranking as before, plus the new record.
      const res = (await c.search(bm25)).ids[0]!;
      expect(res.filter((id) => id !== "late")).toEqual(before);
      expect(res).toContain("late");
      expect((await c.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual([...expected, "late"]);
      // The background backfill reaches the other collection too.
      await expect.poll(() => pendingKeys(dir), { timeout: 10_000 }).toEqual([]);
      await client.close();
      expect(pendingKeys(dir)).toEqual([]);
    } finally {
      await client.close();
    }
    // After: reopened with every index complete, the same answers again.
    const reopened = new PersistentClient({ path: dir });
    const other = await reopened.getCollection({ name: "other" });
    expect((await other.search({ rank: Knn({ query: "supersonic", key: "#document" }) })).ids).toEqual([["x"]]);
    const old = await reopened.getCollection({ name: "old" });
    expect((await old.get({ whereDocument: { $contains: "Item12" } })).ids).toEqual([...expected, "late"]);
    expect((await old.search(bm25)).ids[0]!.filter((id) => id !== "late")).toEqual(before);
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
    // Stopped part way, with the progress saved: some records indexed, not all.
    const [stoppedAt] = [...backfillProgress(dir).values()];
    expect(backfillProgress(dir).size).toBe(1);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(5000);
    const second = new PersistentClient({ path: dir });
    const c = await second.getCollection({ name: "resume" });
    // It goes on from there, not from the start.
    expect([...backfillProgress(dir).values()][0] ?? Infinity).toBeGreaterThanOrEqual(stoppedAt!);
    expect((await c.search({ rank: Knn({ query: "number", key: "#document", limit: 10_000 }), limit: 10_000 })).ids[0]!.length).toBe(5000);
    expect((await c.get({ whereDocument: { $contains: "number 4999 " } })).ids).toEqual(["4999"]);
    await second.close();
    expect(backfillProgress(dir).size).toBe(0);
  });
});
