/**
 * The full-text tables of a collection's documents: two SQLite FTS5 tables per collection.
 *
 * - `fts_sub_<cid>`: a case-sensitive trigram index, for `$contains` candidates (contains-planner.ts).
 * - `fts_bm25_<cid>`: the document's BM25 term ids (Chroma's `chroma_bm25` tokenisation, see
 *   text/bm25.ts), ranked by FTS5's built-in `bm25()` (bm25-ranker.ts).
 *
 * Both are contentless (`content=''`, `contentless_delete=1`): the text lives once, in `records`.
 * Rowids are the records' rids. Only the queue (queue.ts) writes to them.
 */
import type Database from "better-sqlite3";

/** The store's cached `prepare`. */
export type Prepare = (sql: string) => Database.Statement;

export const subTable = (cid: number): string => `fts_sub_${cid}`;
export const bm25Table = (cid: number): string => `fts_bm25_${cid}`;

/** Pages of segment merging per drained transaction: keeps segment counts bounded, each commit short. */
const MERGE_PAGES = 32;

/** Creates a collection's tables (call inside the transaction that creates the collection). */
export function createTables(db: Database.Database, cid: number): void {
  db.exec(
    // detail=none keeps only which records hold each trigram (no positions): about 2x smaller, and
    // enough for a candidate set that instr() then verifies.
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${subTable(cid)} USING fts5(document, tokenize='trigram case_sensitive 1', content='', contentless_delete=1, detail=none);` +
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${bm25Table(cid)} USING fts5(terms, tokenize='ascii', content='', contentless_delete=1);`,
  );
  // FTS5's automatic merges run inside COMMIT and made some commits take 20+ ms; the queue merges a
  // bounded amount itself after each drained slice instead (same policy: levels with 4+ segments).
  for (const t of [subTable(cid), bm25Table(cid)]) db.prepare(`INSERT INTO ${t}(${t}, rank) VALUES('automerge', 0)`).run();
}

export function dropTables(db: Database.Database, cid: number): void {
  db.exec(`DROP TABLE IF EXISTS ${subTable(cid)}; DROP TABLE IF EXISTS ${bm25Table(cid)};`);
}

/** Drops every collection's tables (reset). */
export function dropAllTables(db: Database.Database): void {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'fts_sub_[0-9]*' OR name GLOB 'fts_bm25_[0-9]*') AND name NOT GLOB '*_*_*_*'")
    .pluck()
    .all() as string[];
  for (const name of names) db.exec(`DROP TABLE IF EXISTS ${name}`);
}

/** Does a bounded amount of segment merging in a collection's tables. */
export function mergeSome(stmt: Prepare, cid: number): void {
  for (const t of [subTable(cid), bm25Table(cid)]) stmt(`INSERT INTO ${t}(${t}, rank) VALUES('merge', ${MERGE_PAGES})`).run();
}

/** Indexes a record's document: its trigrams, and `terms` (its BM25 index text). */
export function indexDocument(stmt: Prepare, cid: number, rid: number, document: string, terms: string): void {
  stmt(`INSERT INTO ${subTable(cid)} (rowid, document) VALUES (?, ?)`).run(rid, document);
  stmt(`INSERT INTO ${bm25Table(cid)} (rowid, terms) VALUES (?, ?)`).run(rid, terms);
}

/** Removes a record's entries (none is fine). */
export function unindexDocument(stmt: Prepare, cid: number, rid: number): void {
  stmt(`DELETE FROM ${subTable(cid)} WHERE rowid = ?`).run(rid);
  stmt(`DELETE FROM ${bm25Table(cid)} WHERE rowid = ?`).run(rid);
}
