/**
 * The SQLite store: the single source of truth. It owns records (ids, float32 embeddings, documents,
 * metadata, uris), the metadata index used by filters, the write log (per-collection sequence numbers
 * on records, tombstones for deletions) from which the vector index is caught up, the catalog's tables
 * (catalog-tables.ts, reached as `store.catalog`) and the documents' full-text indexes (fulltext/,
 * reached through the methods under "full text" only). All methods are synchronous and short; the
 * engine slices long work.
 */
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { LRUCache } from "lru-cache";
import { FolderGoneError, ReadOnlyError } from "../errors.js";
import type { FilterNode } from "../model/filter.js";
import type { Durability } from "../types.js";
import type { OperationScope } from "../util/abort.js";
import { CatalogTables } from "./catalog-tables.js";
import { Checkpointer } from "./checkpointer.js";
import { beginImmediate, openReader, openReadOnly, openWriter, settleWriter, type ReadOnlyOpen } from "./connections.js";
import { compileFilter, type CompiledFilter } from "./filter-sql.js";
import { FilterWorker } from "./filter-worker.js";
import { Bm25Ranker, type Bm25Hit } from "./fulltext/bm25-ranker.js";
import { ContainsPlanner, type DocumentEstimate } from "./fulltext/contains-planner.js";
import { markForBackfill, TextQueue } from "./fulltext/queue.js";
import { createTables, dropAllTables, dropTables } from "./fulltext/tables.js";
import { RecordReads } from "./record-reads.js";
import { RecordWrites } from "./record-writes.js";
import { checkSchema, migrate } from "./schema.js";

export const SQLITE_FILE = "chroma.sqlite3";

export type { CollectionRow } from "./catalog-tables.js";

export type { ExistingRecord, RecordFields } from "./record-writes.js";

/**
 * A filter whose conditions times the collection's records exceed this runs off the main thread
 * (prepareFilter); below it, on the main thread costs less than the round trip (about 0.3 ms).
 */
const INLINE_FILTER_WORK = 5_000;

/** Prepared statements kept per connection. */
const STATEMENT_CACHE_MAX = 500;

/**
 * Two connections: writes (and reads inside a write) on the writer; every other read on a read-only
 * connection, which in WAL mode sees the last committed state and never waits for the writer. A query
 * therefore never waits behind a write transaction in progress, nor sees its uncommitted rows.
 */
export class SqliteStore {
  readonly #db: Database.Database;
  readonly #readDb: Database.Database;
  readonly path: string;
  /**
   * Prepared statements by SQL text, per connection. Filters make SQL of many shapes (an `$in` of n
   * values has n placeholders), so the caches are bounded; an evicted statement is simply prepared again.
   */
  readonly #stmts = new LRUCache<string, Database.Statement>({ max: STATEMENT_CACHE_MAX });
  readonly #reads = new LRUCache<string, Database.Statement>({ max: STATEMENT_CACHE_MAX });
  readonly #checkpointer: Checkpointer;
  readonly #filterWorker: FilterWorker;
  /** The database file's identity at open: a different one (or none) means the folder was deleted. */
  readonly #identity: { dev: number; ino: number };
  #gone: FolderGoneError | undefined;
  /** Filters already run off the main thread (prepareFilter): their rowids, by the `limit` asked. */
  readonly #prepared = new WeakMap<FilterNode, Map<number | undefined, number[]>>();
  /** Tenants, databases and collections. */
  readonly catalog: CatalogTables;
  /** Record writes (in a write transaction). */
  readonly records: RecordWrites;
  /** Record and write-log reads (on the read-only connection). */
  readonly reads: RecordReads;
  readonly #queue: TextQueue;
  readonly #planner: ContainsPlanner;
  readonly #ranker: Bm25Ranker;
  /** Opened with `readOnly`: nothing is ever written (see connections.ts). */
  readonly readOnly: boolean;
  readonly #readOnlyOpen: ReadOnlyOpen | undefined;
  readonly #dataVersion: Database.Statement;

  private constructor(db: Database.Database, file: string, readOnlyOpen: ReadOnlyOpen | undefined) {
    this.#db = db;
    this.path = file;
    this.readOnly = readOnlyOpen !== undefined;
    this.#readOnlyOpen = readOnlyOpen;
    this.#checkpointer = new Checkpointer(file);
    this.#filterWorker = new FilterWorker(readOnlyOpen?.readFile ?? file);
    const st = fs.statSync(file);
    this.#identity = { dev: st.dev, ino: st.ino };
    if (this.readOnly) checkSchema(db, file);
    else {
      migrate(db, file, (cids) => markForBackfill(db, cids));
      settleWriter(db);
    }
    this.#readDb = this.readOnly ? db : openReader(file);
    this.#dataVersion = db.prepare("PRAGMA data_version").pluck();
    const stmt = (sql: string) => this.#stmt(sql);
    const read = (sql: string) => this.#read(sql);
    this.#ranker = new Bm25Ranker(read);
    this.#queue = new TextQueue(db, stmt, {
      queued: (cid) => this.#planner.noteWrite(cid),
      indexed: (cid) => this.#ranker.changed(cid),
    });
    this.#planner = new ContainsPlanner(read, this.#queue);
    this.records = new RecordWrites(stmt, this.#queue);
    this.reads = new RecordReads(read);
    this.catalog = new CatalogTables(db, stmt, {
      create: (cid) => createTables(db, cid),
      drop: (cid) => {
        dropTables(db, cid);
        this.#stmt("DELETE FROM store_info WHERE key = ?").run(`log_floor:${cid}`);
        this.#queue.drop(cid);
        this.#planner.forget(cid);
        this.#ranker.forget(cid);
      },
      dropAll: () => {
        dropAllTables(db);
        this.#stmt("DELETE FROM store_info WHERE key LIKE 'log_floor:%'").run();
        this.#queue.dropAll();
        this.#planner.forget();
        this.#ranker.forget();
      },
    });
  }

  /**
   * Opens (creating if needed) the store in `dir`. With `readOnly`, opens an existing store through
   * one read-only connection and writes nothing (every write fails with ReadOnlyError); its `alone`
   * says at close whether other processes use the folder.
   */
  static open(dir: string, opts: { durability?: Durability; readOnly?: { alone: () => boolean } } = {}): SqliteStore {
    const file = path.join(dir, SQLITE_FILE);
    if (opts.readOnly) {
      const opened = openReadOnly(file, opts.readOnly.alone);
      return new SqliteStore(opened.db, file, opened);
    }
    fs.mkdirSync(dir, { recursive: true });
    return new SqliteStore(openWriter(file, opts.durability ?? "normal"), file, undefined);
  }

  /**
   * SQLite's count of commits by other connections (other processes: this one writes through one
   * connection): when it moves, another process wrote and what this one holds in memory is behind.
   */
  dataVersion(): number {
    return this.#dataVersion.get() as number;
  }

  #read(sql: string): Database.Statement {
    let s = this.#reads.get(sql);
    if (!s) {
      s = this.#readDb.prepare(sql);
      this.#reads.set(sql, s);
    }
    return s;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- lifecycle and transactions

  /** Starts the write transaction; waits (bounded by `scope`) while another process holds SQLite's write lock. */
  async begin(scope: OperationScope): Promise<void> {
    if (this.readOnly) throw new ReadOnlyError("This client was opened with readOnly: true; it cannot write");
    await beginImmediate(this.#db, scope);
  }

  commit(): void {
    // Last moment to refuse: a commit into a deleted file "succeeds" and is lost with the file.
    this.checkFolder();
    this.#db.exec("COMMIT");
  }

  rollback(): void {
    if (this.#db.inTransaction) {
      this.#db.exec("ROLLBACK");
      this.#queue.reloadPending();
    }
  }

  /** Starts a checkpoint on the background thread (no-op if one is running). */
  requestCheckpoint(): void {
    if (!this.readOnly) this.#checkpointer.request();
  }

  /** Checkpoints everything committed so far, on the background thread; resolves when it is done. */
  checkpointNow(): Promise<void> {
    return this.readOnly ? Promise.resolve() : this.#checkpointer.now();
  }

  /** Ends the checkpoint thread, checkpoints and closes. Afterwards no file handle remains open. */
  async close(): Promise<void> {
    if (!this.#db.open) return;
    await this.#checkpointer.close();
    await this.#filterWorker.close();
    this.rollback();
    this.#stmts.clear();
    this.#reads.clear();
    if (this.#readOnlyOpen) {
      this.#db.close();
      this.#readOnlyOpen.release();
      return;
    }
    this.#readDb.close();
    // Moves the WAL into the main file on this thread and empties the WAL file (unless another
    // process is reading: then SQLite says busy at once and the WAL stays for them). On a full disk
    // it cannot: the WAL holds the data all the same, and closing must still let go of the files.
    try {
      this.#db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // the WAL stays; the next open (or the last connection to close) checkpoints it
    }
    // The last connection to close checkpoints and deletes the -wal and -shm files, so a closed
    // folder holds only chroma.sqlite3 and can be copied or deleted as it is.
    this.#db.close();
  }

  /**
   * Throws {@link FolderGoneError} when the database file is gone or is another file than the one
   * opened (the folder was deleted, or deleted and made again, under this process): one stat, about
   * a microsecond. Once gone, always gone.
   */
  checkFolder(): void {
    if (this.#gone) throw this.#gone;
    const st = fs.statSync(this.path, { throwIfNoEntry: false });
    if (st && st.ino === this.#identity.ino && st.dev === this.#identity.dev) return;
    this.#gone = new FolderGoneError(
      `The data folder was deleted or replaced while open: ${this.path} is ${st ? "another file now" : "gone"}. ` +
        "Nothing is written or read from here on (a write would be lost with the deleted file); restart on the folder.",
    );
    throw this.#gone;
  }

  /**
   * A collection's write log position and dimension as SQLite has them: read inside the write
   * transaction, where no other process can move them, to number the next write.
   */
  collectionLog(cid: number): { seq: number; dimension: number | null } | undefined {
    return this.#stmt("SELECT seq, dimension FROM collections WHERE cid = ?").get(cid) as
      | { seq: number; dimension: number | null }
      | undefined;
  }

  /** Every collection's id, write seq and version (bumped by modify): what another process may have changed. */
  collectionVersions(): Map<string, { seq: number; version: number }> {
    const rows = this.#read("SELECT id, seq, version FROM collections").raw().all() as [string, number, number][];
    return new Map(rows.map(([id, seq, version]) => [id, { seq, version }]));
  }

  /** The seq up to which the collection's tombstones were trimmed: a process behind it must reload its index. */
  logFloor(cid: number): number {
    const v = this.#read("SELECT value FROM store_info WHERE key = ?").pluck().get(`log_floor:${cid}`) as string | undefined;
    return v === undefined ? 0 : Number(v);
  }

  /** Forgets cached full-text state of collections another process wrote to. */
  noteExternalWrites(cids: Iterable<number>): void {
    for (const cid of cids) {
      this.#planner.noteWrite(cid);
      this.#ranker.changed(cid);
    }
    this.#queue.reloadPending();
  }

  /** Records the sequence number of a collection's latest write (and its dimension once known). */
  setCollectionSeq(cid: number, seq: number, dimension: number | null): void {
    this.#stmt("UPDATE collections SET seq = ?, dimension = coalesce(dimension, ?) WHERE cid = ?").run(seq, dimension, cid);
  }

  // ---------------------------------------------------------------- records: reads

  countRecords(cid: number): number {
    return this.#read("SELECT count(*) FROM records WHERE cid = ?").pluck().get(cid) as number;
  }

  /**
   * Runs `filter` off the main thread (see FilterWorker) when it may take long: it has a `$regex`, or
   * its conditions times the collection's `records` are many (counted only for a filter that needs it:
   * a count is a scan, and a collection under writes changes its count with every add). selectRids with the same filter object
   * and `limit` then answers from the result. Cancelled by `signal` (timeout, client gone, shutdown)
   * at once, even mid-query.
   */
  async prepareFilter(
    cid: number,
    filter: FilterNode | undefined,
    records: () => number,
    signal: () => AbortSignal,
    limit?: number,
  ): Promise<void> {
    if (!filter || this.#prepared.get(filter)?.has(limit)) return;
    const patterns: string[] = [];
    let nodes = 0;
    const walk = (node: FilterNode) => {
      nodes++;
      if (node.kind === "and" || node.kind === "or") node.children.forEach(walk);
      else if (node.kind === "doc" && (node.op === "regex" || node.op === "not_regex")) patterns.push(node.text);
    };
    walk(filter);
    if (patterns.length === 0 && nodes * records() <= INLINE_FILTER_WORK) return;
    const { sql, params } = this.#filterQuery(cid, filter, limit);
    const rids = await this.#filterWorker.run(sql, params, patterns, signal());
    let byLimit = this.#prepared.get(filter);
    if (!byLimit) this.#prepared.set(filter, (byLimit = new Map<number | undefined, number[]>()));
    byLimit.set(limit, rids);
  }

  #filterQuery(cid: number, filter: FilterNode, limit?: number): CompiledFilter {
    const tail = limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
    const compiled = compileFilter(filter, cid, (text) => this.#planner.containsSql(cid, text));
    return { sql: `SELECT rid FROM (${compiled.sql}) ORDER BY rid${tail}`, params: compiled.params };
  }

  /** Rowids matching `filter` (all records when undefined), in insertion order; the first `limit` when given. */
  selectRids(cid: number, filter: FilterNode | undefined, limit?: number): number[] {
    const tail = limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
    if (!filter) return this.#read(`SELECT rid FROM records WHERE cid = ? ORDER BY rid${tail}`).pluck().all(cid) as number[];
    const prepared = this.#prepared.get(filter)?.get(limit);
    if (prepared) return prepared;
    const { sql, params } = this.#filterQuery(cid, filter, limit);
    return this.#readDb.prepare(sql).pluck().all(...params) as number[];
  }

  /** Rowids of `ids` in this collection (missing ids are skipped), in insertion order. */
  ridsForIds(cid: number, ids: string[]): number[] {
    // Sorted here, not with ORDER BY: without table statistics SQLite would answer ORDER BY rid by
    // walking the whole collection in rowid order instead of looking the ids up in (cid, id).
    const rids = this.#read("SELECT rid FROM records WHERE cid = ? AND id IN (SELECT value FROM json_each(?))")
      .pluck()
      .all(cid, JSON.stringify(ids)) as number[];
    return rids.sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- full text (fulltext/)

  /** Estimates for a document condition from a sample (see ContainsPlanner.estimate). */
  estimateDocumentCondition(cid: number, node: FilterNode): DocumentEstimate | undefined {
    return this.#planner.estimate(cid, node);
  }

  /** Of `rids`, those whose document satisfies a `$contains` or `$regex` condition, checked one by one. */
  checkDocumentCondition(cid: number, node: FilterNode & { kind: "doc" }, rids: number[]): Set<number> {
    return this.#planner.check(cid, node, rids);
  }

  /** Records that may contain `pattern` (unverified), or undefined when the indexes cannot answer it. */
  containsCandidates(cid: number, pattern: string): number[] | undefined {
    return this.#planner.containsCandidates(cid, pattern);
  }

  /** The best `limit` records for BM25 term ids, best first (see Bm25Ranker.rank). */
  bm25(cid: number, termIds: number[], limit: number, allowed?: (rid: number) => boolean): Bm25Hit[] {
    return this.#ranker.rank(cid, termIds, limit, allowed);
  }

  /** Collections whose full-text backfill (after a migration) is not finished. */
  get textBackfills(): number[] {
    return this.#queue.backfills;
  }

  /** True when every record of the collection is in its full-text indexes or queued for them. */
  textReady(cid: number): boolean {
    return this.#queue.ready(cid);
  }

  /** Backfills the next `limit` records of a collection; false once it is complete. In a write transaction. */
  backfillText(cid: number, limit: number): boolean {
    return this.#queue.backfillSlice(cid, limit);
  }

  /** True when records wait for text indexing (of `cid`, or of any collection). */
  hasQueuedText(cid?: number): boolean {
    return this.#queue.hasQueued(cid);
  }

  queuedTextCount(cid: number): number {
    return this.#queue.queuedCount(cid);
  }

  /** A large queued document to tokenize ahead of its indexing (see TextQueue.nextLargeQueued). */
  nextLargeQueuedText(minLength: number): { rid: number; document: string } | undefined {
    return this.#queue.nextLargeQueued(minLength);
  }

  /** BM25 index text tokenized ahead for a queued record. */
  prepareText(rid: number, document: string, terms: string): void {
    this.#queue.prepare(rid, document, terms);
  }

  /** Indexes up to `limit` queued records; returns how many. In a write transaction. */
  drainText(limit: number): number {
    return this.#queue.drainSlice(limit);
  }

  /** Bounded segment merging in the collections drained since the last call. In a write transaction. */
  mergeText(): void {
    this.#queue.mergeTouched();
  }
}
