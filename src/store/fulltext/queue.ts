/**
 * The full-text queue. Writes do not index text themselves: they add the record to `fts_queue` in
 * their own transaction, and the engine drains the queue in the background in short transactions
 * (engine/fulltext-scheduler.ts). Updating FTS5 tables is most of the cost of writing documents (and
 * its commits can take tens of milliseconds per thousand documents), so this keeps every write short.
 * `$contains` stays exact meanwhile: queued records are candidates too (contains-planner.ts verifies
 * every candidate); BM25 search drains its collection first.
 *
 * Folders written before the indexes existed are backfilled in slices, their progress kept in
 * `store_info`; until a collection's backfill is done its `$contains` scans and BM25 waits for it.
 */
import type Database from "better-sqlite3";
import { bm25IndexText } from "../../text/bm25.js";
import { createTables, indexDocument, mergeSome, unindexDocument, type Prepare } from "./tables.js";

const BACKFILL_KEY = "fts_backfill:";
/** Large documents tokenized ahead (see prepare) are looked for among this many next queued records. */
const PREPARED_MAX = 64;

/** Who must know when a collection's text changes. */
export interface QueueListener {
  /** A record of the collection was queued (a write: estimates from samples age). */
  queued(cid: number): void;
  /** The collection's indexes changed (scores and cached postings of BM25 change with them). */
  indexed(cid: number): void;
}

/**
 * Migration from a folder without the indexes: creates the tables of these collections and marks
 * each for backfill from rid 0. Runs inside the migration transaction, before the queue is made.
 */
export function markForBackfill(db: Database.Database, cids: number[]): void {
  for (const cid of cids) {
    createTables(db, cid);
    db.prepare("INSERT OR REPLACE INTO store_info (key, value) VALUES (?, '0')").run(BACKFILL_KEY + cid);
  }
}

export class TextQueue {
  readonly #db: Database.Database;
  readonly #stmt: Prepare;
  readonly #listener: QueueListener;
  /** Collections drained since the last merge. */
  readonly #touched = new Set<number>();
  /** Collections whose backfill is not finished: cid → last rid indexed. */
  readonly #pending = new Map<number, number>();
  /** BM25 index texts of large queued documents, tokenized ahead by the engine: rid → document and terms. */
  readonly #prepared = new Map<number, { document: string; terms: string }>();

  constructor(db: Database.Database, stmt: Prepare, listener: QueueListener) {
    this.#db = db;
    this.#stmt = stmt;
    this.#listener = listener;
    this.reloadPending();
  }

  /** Forgets a dropped collection's queue and backfill (call inside its transaction). */
  drop(cid: number): void {
    this.#stmt("DELETE FROM store_info WHERE key = ?").run(BACKFILL_KEY + cid);
    this.#stmt("DELETE FROM fts_queue WHERE cid = ?").run(cid);
    this.#pending.delete(cid);
  }

  /** Forgets every queue and backfill (reset). */
  dropAll(): void {
    this.#stmt(`DELETE FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).run();
    this.#stmt("DELETE FROM fts_queue").run();
    this.#pending.clear();
  }

  /** True when every record of the collection is in its indexes or in the queue. */
  ready(cid: number): boolean {
    return !this.#pending.has(cid);
  }

  /** Collections whose backfill is not finished. */
  get backfills(): number[] {
    return [...this.#pending.keys()];
  }

  /** A record whose document changed, or that was deleted: its index entries are brought up to date. */
  enqueue(cid: number, rid: number): void {
    this.#listener.queued(cid);
    this.#stmt("INSERT OR IGNORE INTO fts_queue (cid, rid) VALUES (?, ?)").run(cid, rid);
  }

  /** True when some record waits in the queue (of `cid`, or of any collection). */
  hasQueued(cid?: number): boolean {
    return cid === undefined
      ? this.#stmt("SELECT 1 FROM fts_queue LIMIT 1").get() !== undefined
      : this.#stmt("SELECT 1 FROM fts_queue WHERE cid = ? LIMIT 1").get(cid) !== undefined;
  }

  /** How many records of a collection wait for text indexing. */
  queuedCount(cid: number): number {
    return this.#stmt("SELECT count(*) FROM fts_queue WHERE cid = ?").pluck().get(cid) as number;
  }

  /**
   * A document of at least `minLength` characters among the next queued records (as many as a drain
   * slice might index) that has not been prepared: the engine tokenizes such a document ahead, in
   * slices (see prepare), rather than inside one indexing transaction.
   */
  nextLargeQueued(minLength: number): { rid: number; document: string } | undefined {
    const rows = this.#stmt(
      `SELECT r.rid AS rid, r.document AS document FROM (SELECT cid, rid FROM fts_queue ORDER BY cid, rid LIMIT ${PREPARED_MAX}) AS q ` +
        "CROSS JOIN records AS r ON r.rid = q.rid AND r.cid = q.cid WHERE length(r.document) >= ?",
    ).all(minLength) as { rid: number; document: string }[];
    return rows.find((row) => !this.#prepared.has(row.rid));
  }

  /** BM25 index text computed ahead for a queued record; used if its document is still `document`. */
  prepare(rid: number, document: string, terms: string): void {
    // Only the next few queued records are prepared; anything older was indexed or dropped meanwhile.
    if (this.#prepared.size >= PREPARED_MAX) this.#prepared.clear();
    this.#prepared.set(rid, { document, terms });
  }

  /**
   * Brings up to `limit` queued records' index entries up to date with their current document (or
   * removes them if the record is gone); call inside a write transaction. Returns how many it did.
   */
  drainSlice(limit: number): number {
    const rows = this.#stmt("SELECT cid, rid FROM fts_queue ORDER BY cid, rid LIMIT ?").all(limit) as { cid: number; rid: number }[];
    for (const { cid, rid } of rows) {
      const current = this.#stmt("SELECT document FROM records WHERE rid = ? AND cid = ?").pluck().get(rid, cid) as
        | string
        | null
        | undefined;
      this.#reindex(cid, rid, current);
      this.#stmt("DELETE FROM fts_queue WHERE cid = ? AND rid = ?").run(cid, rid);
    }
    for (const { cid } of rows) this.#touched.add(cid);
    return rows.length;
  }

  /** Does a bounded amount of segment merging in the collections drained since the last call. */
  mergeTouched(): void {
    for (const cid of this.#touched) mergeSome(this.#stmt, cid);
    this.#touched.clear();
  }

  /**
   * Indexes the next `limit` records of a collection being backfilled; call inside a write
   * transaction. Returns false once the collection is complete.
   */
  backfillSlice(cid: number, limit: number): boolean {
    const after = this.#pending.get(cid);
    if (after === undefined) return false;
    const rows = this.#stmt("SELECT rid, document FROM records WHERE cid = ? AND rid > ? ORDER BY rid LIMIT ?").all(
      cid,
      after,
      limit,
    ) as { rid: number; document: string | null }[];
    // Writes since the migration may be indexed already: reindexing keeps each rid indexed once.
    for (const row of rows) this.#reindex(cid, row.rid, row.document);
    mergeSome(this.#stmt, cid);
    if (rows.length < limit) {
      this.#stmt("DELETE FROM store_info WHERE key = ?").run(BACKFILL_KEY + cid);
      this.#pending.delete(cid);
      return false;
    }
    const last = rows[rows.length - 1]!.rid;
    this.#stmt("UPDATE store_info SET value = ? WHERE key = ?").run(String(last), BACKFILL_KEY + cid);
    this.#pending.set(cid, last);
    return true;
  }

  /** Reads the backfill progress from `store_info` (on open, and to undo a rolled-back slice). */
  reloadPending(): void {
    this.#pending.clear();
    for (const row of this.#db.prepare(`SELECT key, value FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).all() as {
      key: string;
      value: string;
    }[]) {
      this.#pending.set(Number(row.key.slice(BACKFILL_KEY.length)), Number(row.value));
    }
  }

  /** Replaces a record's index entries with those of `document` (none when null or gone). */
  #reindex(cid: number, rid: number, document: string | null | undefined): void {
    this.#listener.indexed(cid);
    unindexDocument(this.#stmt, cid, rid);
    if (document === null || document === undefined) return;
    const prepared = this.#prepared.get(rid);
    this.#prepared.delete(rid);
    const terms = prepared !== undefined && prepared.document === document ? prepared.terms : bm25IndexText(document);
    indexDocument(this.#stmt, cid, rid, document, terms);
  }
}
