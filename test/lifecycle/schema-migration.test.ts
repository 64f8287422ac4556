/**
 * Folders of schema 2 (embeddings inside `records`) are migrated in place on open: every record, its
 * exact float32 vector and the saved vector index survive, and answers are the same before and after.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { verifyFolder } from "../../src/engine/verify.js";
import { PersistentClient } from "../../src/index.js";
import { SQLITE_FILE } from "../../src/store/sqlite-store.js";
import { tempDir } from "../helpers/tmp.js";

/** Turns a current folder back into schema 2's layout: embeddings in `records`, no `vectors`. */
function toSchema2(dir: string): void {
  const db = new Database(path.join(dir, SQLITE_FILE));
  db.exec(`
    ALTER TABLE records ADD COLUMN embedding BLOB;
    UPDATE records SET embedding = (SELECT embedding FROM vectors v WHERE v.rid = records.rid);
    DROP TRIGGER records_drop_vector;
    DROP TABLE vectors;
    UPDATE store_info SET value = '2' WHERE key = 'schema_version';
  `);
  db.close();
}

function layout(dir: string): { version: string; recordColumns: string[]; vectors: number | undefined } {
  const db = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
  try {
    return {
      version: db.prepare("SELECT value FROM store_info WHERE key = 'schema_version'").pluck().get() as string,
      recordColumns: db.prepare("SELECT name FROM pragma_table_info('records')").pluck().all() as string[],
      vectors: db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'vectors'").pluck().get()
        ? (db.prepare("SELECT count(*) FROM vectors").pluck().get() as number)
        : undefined,
    };
  } finally {
    db.close();
  }
}

describe("schema 2 folders", () => {
  it("are migrated on open with every record, vector and index intact", async () => {
    const dir = tempDir();
    const n = 500;
    // Values float32 cannot hold exactly would change if the migration went through doubles.
    const embeddings = Array.from({ length: n }, (_, i) => [Math.fround(i / 7), Math.fround(-i / 3), 1e-30 * i]);
    const everything = { include: ["embeddings", "documents", "metadatas", "uris"] as const };
    let before: unknown;
    let near: unknown;
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "old" });
      await c.add({
        ids: embeddings.map((_, i) => `r${i}`),
        embeddings,
        documents: embeddings.map((_, i) => `doc ${i}`),
        metadatas: embeddings.map((_, i) => ({ i })),
        uris: embeddings.map((_, i) => (i % 2 ? `u${i}` : null)),
      });
      await c.delete({ ids: ["r3"] });
      await c.waitForIndexing();
      before = await c.get({ include: [...everything.include] });
      near = await c.query({ queryEmbeddings: [embeddings[42]!], nResults: 5, include: ["distances", "embeddings"] });
      await client.close();
    }
    toSchema2(dir);
    expect(layout(dir)).toMatchObject({ version: "2", vectors: undefined });
    expect(layout(dir).recordColumns).toContain("embedding");

    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.getCollection({ name: "old" });
      expect(await c.get({ include: [...everything.include] })).toEqual(before);
      expect(await c.query({ queryEmbeddings: [embeddings[42]!], nResults: 5, include: ["distances", "embeddings"] })).toEqual(near);
      // The saved index was adopted, not rebuilt: nothing is pending after the open.
      expect((await c.getIndexingStatus()).num_unindexed_ops).toBe(0);
      // Writes after the migration: a new vector, a changed one, a deleted record (its vector goes with it).
      await c.add({ ids: ["new"], embeddings: [[1, 2, 3]] });
      await c.update({ ids: ["r1"], embeddings: [[4, 5, 6]] });
      await c.delete({ ids: ["r2"] });
      const got = await c.get({ ids: ["new", "r1", "r2"], include: ["embeddings"] });
      expect(got.ids).toEqual(["r1", "new"]);
      expect(got.embeddings).toEqual([[4, 5, 6], [1, 2, 3]]);
    } finally {
      await client.close();
    }
    const after = layout(dir);
    expect(after.version).toBe("3");
    expect(after.recordColumns).not.toContain("embedding");
    expect(after.vectors).toBe(n - 1); // r3 and r2 deleted, "new" added
    const report = await verifyFolder(dir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
