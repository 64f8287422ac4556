/**
 * The SQLite store: the single source of truth. It owns tenants, databases, collections, records
 * (ids, float32 embeddings, documents, metadata, uris), the metadata index used by filters, and the
 * write log (per-collection sequence numbers on records, tombstones for deletions) from which the
 * vector index is caught up. All methods are synchronous and short; the engine slices long work.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { CorruptionError, InternalError } from "../errors.js";
import { arrayTag, compileRegex, tagValue, type FilterNode } from "../model/filter.js";
import type { Columns } from "../model/include.js";
import type { StoredConfiguration } from "../model/collection.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../model/defaults.js";
import type { RecordRow } from "../model/records.js";
import type { CollectionMetadata, Durability, Metadata } from "../types.js";
import { decodeEmbedding, encodeEmbedding } from "../util/float32.js";
import { Checkpointer } from "./checkpointer.js";
import { compileFilter } from "./filter-sql.js";
import { FullTextIndex } from "./fts.js";

export const DEFAULT_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
export const SQLITE_FILE = "chroma.sqlite3";
/** 2 added the full-text indexes (store/fts.ts); a version-1 folder is migrated and backfilled. */
const SCHEMA_VERSION = 2;

export interface CollectionRow {
  cid: number;
  id: string;
  name: string;
  tenant: string;
  database: string;
  databaseId: string;
  metadata: CollectionMetadata | null;
  configuration: StoredConfiguration;
  dimension: number | null;
  /** Sequence number of the last write (Chroma's `log_position`). */
  seq: number;
  version: number;
}

export interface ExistingRecord {
  rid: number;
  metadata: string | null;
}

export interface RecordFields {
  embedding?: Float32Array | undefined;
  document?: string | null | undefined;
  /** JSON text, or null for "no metadata". */
  metadataJson?: string | null | undefined;
  metadata?: Metadata | null | undefined;
  uri?: string | null | undefined;
}

/** Until src/engine/reader.ts imports it from model/records.ts. */
export type { RecordRow } from "../model/records.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_queue (cid INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (cid, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS databases (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tenant TEXT NOT NULL REFERENCES tenants(name),
  UNIQUE (tenant, name)
);
CREATE TABLE IF NOT EXISTS collections (
  cid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  database_id TEXT NOT NULL REFERENCES databases(id),
  name TEXT NOT NULL,
  metadata TEXT,
  configuration TEXT NOT NULL,
  dimension INTEGER,
  seq INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  UNIQUE (database_id, name)
);
CREATE TABLE IF NOT EXISTS records (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  cid INTEGER NOT NULL,
  id TEXT NOT NULL,
  vector_seq INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  document TEXT,
  metadata TEXT,
  uri TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS records_by_id ON records (cid, id);
CREATE INDEX IF NOT EXISTS records_by_collection ON records (cid);
CREATE INDEX IF NOT EXISTS records_by_vector_seq ON records (cid, vector_seq);
CREATE TABLE IF NOT EXISTS record_meta (
  cid INTEGER NOT NULL,
  key TEXT NOT NULL,
  t TEXT NOT NULL,
  v,
  rid INTEGER NOT NULL,
  PRIMARY KEY (cid, key, t, v, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_meta_by_rid ON record_meta (rid);
CREATE TABLE IF NOT EXISTS tombstones (
  cid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (cid, seq, rid)
) WITHOUT ROWID;
`;

type Row = Record<string, unknown>;

function parseJson<T>(text: unknown): T | null {
  return typeof text === "string" ? (JSON.parse(text) as T) : null;
}

export class SqliteStore {
  readonly #db: Database.Database;
  readonly path: string;
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #checkpointer: Checkpointer;
  #fts!: FullTextIndex;

  private constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.path = file;
    this.#checkpointer = new Checkpointer(file);
  }

  /** Opens (creating if needed) the store in `dir`. */
  static open(dir: string, opts: { durability?: Durability } = {}): SqliteStore {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, SQLITE_FILE);
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (err) {
      throw new InternalError(`Cannot open ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${opts.durability === "full" ? "FULL" : "NORMAL"}`);
      db.pragma("foreign_keys = ON");
      // Checkpoints are run by the engine between operations, not inside a commit.
      db.pragma("wal_autocheckpoint = 0");
      db.pragma("cache_size = -65536");
      // Reads through a memory map skip a pread() per page: record lookups (query results, get by id)
      // take about half the time. SQLite caps it at 2 GiB; beyond that it reads as usual.
      db.pragma("mmap_size = 2147418112");
      db.pragma("temp_store = MEMORY");
      db.function("chromalite_regexp", { deterministic: true }, (pattern: unknown, text: unknown) =>
        typeof text === "string" && compileRegex(String(pattern)).matcher(text).find() ? 1 : 0,
      );
      const store = new SqliteStore(db, file);
      store.#migrate();
      return store;
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === "SQLITE_NOTADB" || (err as { code?: string }).code === "SQLITE_CORRUPT") {
        throw new CorruptionError(`${file} is not a valid chromalite database: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  }

  #migrate(): void {
    this.#db.exec(SCHEMA);
    const version = this.#db.prepare("SELECT value FROM store_info WHERE key = 'schema_version'").pluck().get() as
      | string
      | undefined;
    if (version === undefined) {
      this.#db.transaction(() => {
        this.#db.prepare("INSERT INTO store_info (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
        this.#db.prepare("INSERT OR IGNORE INTO tenants (name) VALUES (?)").run(DEFAULT_TENANT);
        this.#db
          .prepare("INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)")
          .run(DEFAULT_DATABASE_ID, DEFAULT_DATABASE, DEFAULT_TENANT);
      })();
    } else if (Number(version) < 2) {
      this.#db.transaction(() => {
        const cids = this.#db.prepare("SELECT cid FROM collections ORDER BY cid").pluck().all() as number[];
        new FullTextIndex(this.#db, (sql) => this.#stmt(sql)).markAllForBackfill(cids);
        this.#db.prepare("UPDATE store_info SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
      })();
    } else if (Number(version) > SCHEMA_VERSION) {
      throw new CorruptionError(
        `${this.path} was written by a newer chromalite (schema ${version}; this one reads up to ${SCHEMA_VERSION})`,
      );
    }
    this.#fts = new FullTextIndex(this.#db, (sql) => this.#stmt(sql));
  }

  /** The documents' full-text indexes (`$contains` prefilter, BM25). */
  get fts(): FullTextIndex {
    return this.#fts;
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

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  begin(): void {
    this.#db.exec("BEGIN IMMEDIATE");
  }

  commit(): void {
    this.#db.exec("COMMIT");
  }

  rollback(): void {
    if (this.#db.inTransaction) {
      this.#db.exec("ROLLBACK");
      this.#fts.reloadPending();
    }
  }

  /** Runs `fn` in one short transaction. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** Moves the WAL into the main file on this thread; `TRUNCATE` also empties the WAL file. */
  checkpoint(mode: "PASSIVE" | "TRUNCATE" = "PASSIVE"): void {
    this.#db.pragma(`wal_checkpoint(${mode})`);
  }

  /** Starts a checkpoint on the background thread (no-op if one is running). */
  requestCheckpoint(): void {
    this.#checkpointer.request();
  }

  integrityCheck(): string[] {
    return (this.#db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  /** Ends the checkpoint thread, checkpoints and closes. Afterwards no file handle remains open. */
  async close(): Promise<void> {
    if (!this.#db.open) return;
    await this.#checkpointer.close();
    this.rollback();
    this.#stmts.clear();
    this.checkpoint("TRUNCATE");
    // The last connection to close checkpoints and deletes the -wal and -shm files, so a closed
    // folder holds only chroma.sqlite3 and can be copied or deleted as it is.
    this.#db.close();
  }

  get open(): boolean {
    return this.#db.open;
  }

  // ---------------------------------------------------------------- tenants and databases

  createTenant(name: string): boolean {
    return this.#stmt("INSERT OR IGNORE INTO tenants (name) VALUES (?)").run(name).changes > 0;
  }

  tenantExists(name: string): boolean {
    return this.#stmt("SELECT 1 FROM tenants WHERE name = ?").get(name) !== undefined;
  }

  createDatabase(id: string, tenant: string, name: string): boolean {
    return this.#stmt("INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)").run(id, name, tenant).changes > 0;
  }

  getDatabase(tenant: string, name: string): { id: string; name: string; tenant: string } | undefined {
    return this.#stmt("SELECT id, name, tenant FROM databases WHERE tenant = ? AND name = ?").get(tenant, name) as
      | { id: string; name: string; tenant: string }
      | undefined;
  }

  listDatabases(tenant: string, limit: number, offset: number): { id: string; name: string; tenant: string }[] {
    return this.#stmt("SELECT id, name, tenant FROM databases WHERE tenant = ? ORDER BY rowid LIMIT ? OFFSET ?").all(
      tenant,
      limit,
      offset,
    ) as { id: string; name: string; tenant: string }[];
  }

  deleteDatabase(id: string): void {
    this.#stmt("DELETE FROM databases WHERE id = ?").run(id);
  }

  // ---------------------------------------------------------------- collections

  #collectionFromRow(row: Row): CollectionRow {
    return {
      cid: row.cid as number,
      id: row.id as string,
      name: row.name as string,
      tenant: row.tenant as string,
      database: row.database as string,
      databaseId: row.database_id as string,
      metadata: parseJson<CollectionMetadata>(row.metadata),
      configuration: JSON.parse(row.configuration as string) as StoredConfiguration,
      dimension: (row.dimension as number | null) ?? null,
      seq: row.seq as number,
      version: row.version as number,
    };
  }

  static readonly #COLLECTION_COLUMNS =
    "c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, c.version, c.database_id, d.name AS database, d.tenant AS tenant FROM collections c JOIN databases d ON d.id = c.database_id";

  insertCollection(row: {
    id: string;
    databaseId: string;
    name: string;
    metadata: CollectionMetadata | null;
    configuration: StoredConfiguration;
  }): number {
    // With its full-text tables, atomically: a collection never exists without them.
    return this.transaction(() => {
      const info = this.#stmt(
        "INSERT INTO collections (id, database_id, name, metadata, configuration) VALUES (?, ?, ?, ?, ?)",
      ).run(row.id, row.databaseId, row.name, row.metadata ? JSON.stringify(row.metadata) : null, JSON.stringify(row.configuration));
      const cid = Number(info.lastInsertRowid);
      this.#fts.create(cid);
      return cid;
    });
  }

  collectionByName(databaseId: string, name: string): CollectionRow | undefined {
    const row = this.#stmt(`SELECT ${SqliteStore.#COLLECTION_COLUMNS} WHERE c.database_id = ? AND c.name = ?`).get(
      databaseId,
      name,
    ) as Row | undefined;
    return row ? this.#collectionFromRow(row) : undefined;
  }

  collectionById(id: string): CollectionRow | undefined {
    const row = this.#stmt(`SELECT ${SqliteStore.#COLLECTION_COLUMNS} WHERE c.id = ?`).get(id) as Row | undefined;
    return row ? this.#collectionFromRow(row) : undefined;
  }

  collectionByCid(cid: number): CollectionRow | undefined {
    const row = this.#stmt(`SELECT ${SqliteStore.#COLLECTION_COLUMNS} WHERE c.cid = ?`).get(cid) as Row | undefined;
    return row ? this.#collectionFromRow(row) : undefined;
  }

  listCollections(databaseId: string, limit: number, offset: number): CollectionRow[] {
    // Chroma lists collections in creation order.
    return (
      this.#stmt(`SELECT ${SqliteStore.#COLLECTION_COLUMNS} WHERE c.database_id = ? ORDER BY c.cid LIMIT ? OFFSET ?`).all(
        databaseId,
        limit,
        offset,
      ) as Row[]
    ).map((r) => this.#collectionFromRow(r));
  }

  allCollections(): CollectionRow[] {
    return (this.#stmt(`SELECT ${SqliteStore.#COLLECTION_COLUMNS} ORDER BY c.cid`).all() as Row[]).map((r) =>
      this.#collectionFromRow(r),
    );
  }

  countCollections(databaseId: string): number {
    return this.#stmt("SELECT count(*) FROM collections WHERE database_id = ?").pluck().get(databaseId) as number;
  }

  updateCollection(
    cid: number,
    change: { name?: string; metadata?: CollectionMetadata | null; configuration?: StoredConfiguration },
  ): void {
    if (change.name !== undefined) this.#stmt("UPDATE collections SET name = ? WHERE cid = ?").run(change.name, cid);
    if (change.metadata !== undefined) {
      this.#stmt("UPDATE collections SET metadata = ? WHERE cid = ?").run(
        change.metadata ? JSON.stringify(change.metadata) : null,
        cid,
      );
    }
    if (change.configuration !== undefined) {
      this.#stmt("UPDATE collections SET configuration = ? WHERE cid = ?").run(JSON.stringify(change.configuration), cid);
    }
    this.#stmt("UPDATE collections SET version = version + 1 WHERE cid = ?").run(cid);
  }

  setDimension(cid: number, dimension: number): void {
    this.#stmt("UPDATE collections SET dimension = ? WHERE cid = ? AND dimension IS NULL").run(dimension, cid);
  }

  /** Records the sequence number of a collection's latest write (and its dimension once known). */
  setCollectionSeq(cid: number, seq: number, dimension: number | null): void {
    this.#stmt("UPDATE collections SET seq = ?, dimension = coalesce(dimension, ?) WHERE cid = ?").run(seq, dimension, cid);
  }

  /** Deletes up to `limit` records of a collection; returns how many went. */
  deleteRecordSlice(cid: number, limit: number): number {
    const rids = this.#stmt("SELECT rid FROM records WHERE cid = ? LIMIT ?").pluck().all(cid, limit) as number[];
    if (rids.length === 0) return 0;
    const list = JSON.stringify(rids);
    this.#stmt("DELETE FROM record_meta WHERE rid IN (SELECT value FROM json_each(?))").run(list);
    this.#stmt("DELETE FROM records WHERE rid IN (SELECT value FROM json_each(?))").run(list);
    return rids.length;
  }

  /** Deletes everything and recreates the default tenant and database. */
  resetAll(): void {
    this.transaction(() => {
      for (const table of ["record_meta", "tombstones", "records", "collections", "databases", "tenants"]) {
        this.#db.exec(`DELETE FROM ${table}`);
      }
      this.#db.prepare("INSERT INTO tenants (name) VALUES (?)").run(DEFAULT_TENANT);
      this.#db
        .prepare("INSERT INTO databases (id, name, tenant) VALUES (?, ?, ?)")
        .run(DEFAULT_DATABASE_ID, DEFAULT_DATABASE, DEFAULT_TENANT);
      this.#fts.dropAll();
    });
  }

  /** Deletes a collection and all its records in one statement group (call inside a transaction). */
  deleteCollection(cid: number): void {
    this.#stmt("DELETE FROM record_meta WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM records WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM tombstones WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM collections WHERE cid = ?").run(cid);
    this.#fts.drop(cid);
  }

  // ---------------------------------------------------------------- records: writes

  /** Looks up which of `ids` exist; returns id → rowid and current metadata JSON. */
  lookupIds(cid: number, ids: string[]): Map<string, ExistingRecord> {
    const out = new Map<string, ExistingRecord>();
    const rows = this.#stmt(
      "SELECT rid, id, metadata FROM records WHERE cid = ? AND id IN (SELECT value FROM json_each(?))",
    ).all(cid, JSON.stringify(ids)) as { rid: number; id: string; metadata: string | null }[];
    for (const r of rows) out.set(r.id, { rid: r.rid, metadata: r.metadata });
    return out;
  }

  insertRecord(cid: number, id: string, seq: number, fields: RecordFields & { embedding: Float32Array }): number {
    const info = this.#stmt(
      "INSERT INTO records (cid, id, vector_seq, embedding, document, metadata, uri) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(cid, id, seq, encodeEmbedding(fields.embedding), fields.document ?? null, fields.metadataJson ?? null, fields.uri ?? null);
    const rid = Number(info.lastInsertRowid);
    if (fields.metadata) this.#indexMetadata(cid, rid, fields.metadata);
    this.#fts.insert(cid, rid, fields.document);
    return rid;
  }

  /** Updates the given fields of a record; `undefined` leaves a field as it is. */
  updateRecord(cid: number, rid: number, seq: number, fields: RecordFields): void {
    if (fields.embedding !== undefined) {
      this.#stmt("UPDATE records SET embedding = ?, vector_seq = ? WHERE rid = ?").run(
        encodeEmbedding(fields.embedding),
        seq,
        rid,
      );
    }
    if (fields.document !== undefined) {
      this.#stmt("UPDATE records SET document = ? WHERE rid = ?").run(fields.document, rid);
      this.#fts.replace(cid, rid, fields.document);
    }
    if (fields.uri !== undefined) this.#stmt("UPDATE records SET uri = ? WHERE rid = ?").run(fields.uri, rid);
    if (fields.metadataJson !== undefined) {
      this.#stmt("UPDATE records SET metadata = ? WHERE rid = ?").run(fields.metadataJson, rid);
      this.#stmt("DELETE FROM record_meta WHERE rid = ?").run(rid);
      if (fields.metadata) this.#indexMetadata(cid, rid, fields.metadata);
    }
  }

  deleteRecord(cid: number, rid: number, seq: number): void {
    this.#stmt("DELETE FROM records WHERE rid = ?").run(rid);
    this.#stmt("DELETE FROM record_meta WHERE rid = ?").run(rid);
    this.#fts.remove(cid, rid);
    this.#stmt("INSERT OR IGNORE INTO tombstones (cid, seq, rid) VALUES (?, ?, ?)").run(cid, seq, rid);
  }

  #indexMetadata(cid: number, rid: number, metadata: Metadata): void {
    const insert = this.#stmt("INSERT OR IGNORE INTO record_meta (cid, key, t, v, rid) VALUES (?, ?, ?, ?, ?)");
    for (const [key, value] of Object.entries(metadata)) {
      if (value === null) continue;
      // Validated metadata holds only values tagValue knows.
      if (Array.isArray(value)) {
        for (const item of value) {
          const { tag, value: v } = tagValue(item)!;
          insert.run(cid, key, arrayTag(tag), v, rid);
        }
      } else {
        const { tag, value: v } = tagValue(value)!;
        insert.run(cid, key, tag, v, rid);
      }
    }
  }

  /** Drops tombstones the persisted vector index already reflects. */
  trimTombstones(cid: number, upToSeq: number): void {
    this.#stmt("DELETE FROM tombstones WHERE cid = ? AND seq <= ?").run(cid, upToSeq);
  }

  // ---------------------------------------------------------------- records: reads

  countRecords(cid: number): number {
    return this.#stmt("SELECT count(*) FROM records WHERE cid = ?").pluck().get(cid) as number;
  }

  /** Rowids matching `filter` (all records when undefined), in insertion order; the first `limit` when given. */
  selectRids(cid: number, filter: FilterNode | undefined, limit?: number): number[] {
    const tail = limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
    if (!filter) return this.#stmt(`SELECT rid FROM records WHERE cid = ? ORDER BY rid${tail}`).pluck().all(cid) as number[];
    const compiled = compileFilter(filter, cid, (text) => this.#fts.containsSql(cid, text));
    return this.#db.prepare(`SELECT rid FROM (${compiled.sql}) ORDER BY rid${tail}`).pluck().all(...compiled.params) as number[];
  }

  /**
   * Estimates, from a sample of the collection, for a document condition (`$contains` or `$regex`):
   * about how many records match, and how many records finding them all would verify one by one.
   * Undefined for other conditions.
   */
  estimateDocumentCondition(cid: number, node: FilterNode): { matches: number; verified: number } | undefined {
    if (node.kind !== "doc") return undefined;
    if (node.op === "contains") {
      return {
        matches: this.#fts.estimateMatches(cid, (d) => d.includes(node.text)),
        verified: this.#fts.estimateContainsCandidates(cid, node.text),
      };
    }
    if (node.op === "regex") {
      const regex = compileRegex(node.text);
      // Filtering first checks a regex on every record.
      return { matches: this.#fts.estimateMatches(cid, (d) => regex.matcher(d).find()), verified: this.#fts.sampledTotal(cid) };
    }
    return undefined;
  }

  /** Of `rids`, those whose document satisfies a `$contains` or `$regex` condition, checked one by one. */
  checkDocumentCondition(cid: number, node: FilterNode & { kind: "doc" }, rids: number[]): Set<number> {
    const test =
      node.op === "contains"
        ? "instr(r.document, ?) > 0"
        : node.op === "regex"
          ? "r.document IS NOT NULL AND chromalite_regexp(?, r.document)"
          : undefined;
    if (test === undefined) throw new InternalError(`checkDocumentCondition: unsupported $${node.op}`);
    const matched = this.#stmt(
      // CROSS JOIN keeps SQLite from walking the collection's index instead of looking each rid up.
      `SELECT r.rid FROM json_each(?) AS j CROSS JOIN records AS r ON r.rid = j.value WHERE r.cid = ? AND ${test}`,
    )
      .pluck()
      .all(JSON.stringify(rids), cid, node.text) as number[];
    return new Set(matched);
  }

  /** Rowids of `ids` in this collection (missing ids are skipped), in insertion order. */
  ridsForIds(cid: number, ids: string[]): number[] {
    // Sorted here, not with ORDER BY: without table statistics SQLite would answer ORDER BY rid by
    // walking the whole collection in rowid order instead of looking the ids up in (cid, id).
    const rids = this.#stmt("SELECT rid FROM records WHERE cid = ? AND id IN (SELECT value FROM json_each(?))")
      .pluck()
      .all(cid, JSON.stringify(ids)) as number[];
    return rids.sort((a, b) => a - b);
  }

  #selectColumns(columns: Columns): string {
    return [
      "rid",
      "id",
      columns.embeddings ? "embedding" : "NULL AS embedding",
      columns.documents ? "document" : "NULL AS document",
      columns.metadatas ? "metadata" : "NULL AS metadata",
      columns.uris ? "uri" : "NULL AS uri",
    ].join(", ");
  }

  /** A record from a raw row of #selectColumns (rid, id, embedding, document, metadata, uri). */
  #recordFromRow([rid, id, embedding, document, metadata, uri]: unknown[]): RecordRow {
    return {
      rid: rid as number,
      id: id as string,
      embedding: embedding ? decodeEmbedding(embedding as Buffer) : null,
      document: (document as string | null) ?? null,
      metadata: parseJson<Metadata>(metadata),
      uri: (uri as string | null) ?? null,
    };
  }

  /** A page of a collection's records in insertion order. */
  pageRecords(cid: number, columns: Columns, limit: number, offset: number): RecordRow[] {
    return (
      this.#stmt(`SELECT ${this.#selectColumns(columns)} FROM records WHERE cid = ? ORDER BY rid LIMIT ? OFFSET ?`)
        .raw(true)
        .all(cid, limit, offset) as unknown[][]
    ).map((r) => this.#recordFromRow(r));
  }

  /** Records by rowid, in the order given. Rowids that no longer exist are skipped. */
  recordsByRid(rids: readonly number[], columns: Columns): RecordRow[] {
    if (rids.length === 0) return [];
    // Small sets (query results) bind one parameter per rowid: cheaper than building and parsing JSON.
    // Rows come back as arrays (raw mode), which saves building an object per row.
    const rows = (
      rids.length <= 64
        ? this.#stmt(`SELECT ${this.#selectColumns(columns)} FROM records WHERE rid IN (${"?,".repeat(rids.length - 1)}?)`)
            .raw(true)
            .all(...rids)
        : this.#stmt(`SELECT ${this.#selectColumns(columns)} FROM records WHERE rid IN (SELECT value FROM json_each(?))`)
            .raw(true)
            .all(JSON.stringify(rids))
    ) as unknown[][];
    const byRid = new Map<number, RecordRow>();
    for (const row of rows) byRid.set(row[0] as number, this.#recordFromRow(row));
    const out: RecordRow[] = [];
    for (const rid of rids) {
      const rec = byRid.get(rid);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Embeddings of a slice of rowids (for exact scans), as [rid, vector] pairs. */
  embeddingsByRid(rids: readonly number[]): [number, Float32Array][] {
    if (rids.length === 0) return [];
    const rows = this.#stmt("SELECT rid, embedding FROM records WHERE rid IN (SELECT value FROM json_each(?))")
      .raw()
      .all(JSON.stringify(rids)) as [number, Buffer][];
    return rows.map(([rid, blob]) => [rid, decodeEmbedding(blob)]);
  }

  /** Keyset page of (rid, vector_seq, embedding) after `afterRid`, for index rebuilds and catch-up. */
  embeddingPage(cid: number, afterRid: number, limit: number, minSeqExclusive = -1): [number, number, Float32Array][] {
    const rows = this.#stmt(
      "SELECT rid, vector_seq, embedding FROM records WHERE cid = ? AND rid > ? AND vector_seq > ? ORDER BY rid LIMIT ?",
    )
      .raw()
      .all(cid, afterRid, minSeqExclusive, limit) as [number, number, Buffer][];
    return rows.map(([rid, seq, blob]) => [rid, seq, decodeEmbedding(blob)]);
  }

  /** Number of records whose vector was last written at or before `seq`. */
  countVectorsUpTo(cid: number, seq: number): number {
    return this.#stmt("SELECT count(*) FROM records WHERE cid = ? AND vector_seq <= ?").pluck().get(cid, seq) as number;
  }

  /** Rowids deleted after `seq` (tombstones newer than the persisted index). */
  tombstonesAfter(cid: number, seq: number): number[] {
    return this.#stmt("SELECT rid FROM tombstones WHERE cid = ? AND seq > ? ORDER BY seq").pluck().all(cid, seq) as number[];
  }
}
