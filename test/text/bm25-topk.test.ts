/**
 * BM25 search merges each term's cached, single-term-scored postings instead of asking FTS5 to rank the
 * whole OR query. The answer must be FTS5's own ranking, score for score: compared here with the OR
 * query run by FTS5 on a second connection, before and after writes (which must drop the cache).
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Knn, type Collection } from "../../src/index.js";
import { SQLITE_FILE } from "../../src/store/sqlite-store.js";
import { bm25TermIds } from "../../src/text/bm25.js";
import { rng } from "../helpers/rng.js";
import { tempClient } from "../helpers/tmp.js";

const WORDS = "wing flow shock layer boundary heat pressure supersonic nozzle jet plate cone drag lift mach wave".split(" ");

function makeDoc(rand: () => number): string {
  // Zipf-like: early words far more common, so some terms are in most documents and some in few.
  return Array.from({ length: 5 + Math.floor(rand() * 30) }, () => WORDS[Math.floor(WORDS.length * rand() ** 2)]!).join(" ");
}

/** FTS5's own ranking of the OR query: the reference. */
function ftsRanking(db: Database.Database, cid: number, text: string, limit: number): { id: string; score: number }[] {
  const terms = [...new Set(bm25TermIds(text))].map((t) => `"${t}"`).join(" OR ");
  const table = `fts_bm25_${cid}`;
  return db
    .prepare(
      `SELECT r.id AS id, f.rank AS score FROM ${table} f JOIN records r ON r.rid = f.rowid WHERE ${table} MATCH ? ORDER BY f.rank, f.rowid LIMIT ?`,
    )
    .all(terms, limit) as { id: string; score: number }[];
}

async function ours(c: Collection, text: string, limit: number): Promise<{ id: string; score: number }[]> {
  const r = await c.search({ rank: Knn({ query: text, key: "#document", limit }), limit, select: ["#score"] });
  return r.ids[0]!.map((id, i) => ({ id, score: r.scores[0]![i]! }));
}

describe("BM25 top-k from cached postings", () => {
  it("equals FTS5's ranking of the whole query, also after writes", async () => {
    const rand = rng(11);
    const { client, dir } = tempClient();
    const c = await client.createCollection({ name: "bm25" });
    const add = async (from: number, n: number) =>
      c.add({
        ids: Array.from({ length: n }, (_, i) => `d${from + i}`),
        embeddings: Array.from({ length: n }, () => [rand(), rand()]),
        documents: Array.from({ length: n }, () => makeDoc(rand)),
      });
    await add(0, 1500);
    const queries = Array.from({ length: 40 }, () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => WORDS[Math.floor(rand() * WORDS.length)]!).join(" "));

    const check = async () => {
      await c.waitForIndexing();
      await c.search({ rank: Knn({ query: "wing", key: "#document" }) }); // drains the text queue
      const db = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
      try {
        const cid = db.prepare("SELECT cid FROM records LIMIT 1").pluck().get() as number;
        for (const q of queries) {
          for (const limit of [1, 10, 50]) {
            const expected = ftsRanking(db, cid, q, limit);
            const got = await ours(c, q, limit);
            // Scores come back as float32 values, as every distance and score does.
            expect(got.map((h) => Math.fround(h.score))).toEqual(expected.map((h) => Math.fround(h.score)));
            // Same records; within equal scores both keep insertion order.
            expect({ q, limit, ids: got.map((h) => h.id) }).toEqual({ q, limit, ids: expected.map((h) => h.id) });
          }
        }
      } finally {
        db.close();
      }
    };
    await check();
    // Writes change every score (IDF, average length): cached postings must not survive them.
    await add(1500, 300);
    await c.delete({ ids: Array.from({ length: 200 }, (_, i) => `d${i * 3}`) });
    await c.update({ ids: ["d1", "d2"], documents: ["supersonic supersonic nozzle", "cone"], embeddings: [[0, 0], [1, 1]] });
    await check();
  });
});
