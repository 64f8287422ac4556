/**
 * Read-only access to a data folder for `chromalite stats` and `verify`: SQLite opened read-only, the
 * index manifests read but never rewritten, nothing repaired or migrated. The engine's own open path
 * is not used on purpose: it removes orphan index folders, migrates old schemas and rebuilds damaged
 * indexes, which an inspection must report rather than do.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { CorruptionError, LockedError, NotFoundError, wrapError, type ChromaLiteError } from "../errors.js";
import { HnswIndex, indexDirOf, indexRoot, type IndexManifest } from "../vector/hnsw-index.js";
import type { StoredConfiguration } from "../model/collection.js";
import { folderWritable, snapshotDatabase } from "../store/connections.js";
import { FolderLock } from "../store/folder-lock.js";
import { SQLITE_FILE } from "../store/sqlite-store.js";
import type { CollectionMetadata, Space } from "../types.js";
import { decodeEmbedding } from "../util/float32.js";

/** A collection as stored, with what could not be parsed reported rather than thrown. */
export interface StoredCollection {
  cid: number;
  id: string;
  name: string;
  /** null when the collection's database row is missing (damage). */
  tenant: string | null;
  database: string | null;
  metadata: CollectionMetadata | null;
  /** undefined when the stored JSON is unreadable; see `configurationError`. */
  configuration: StoredConfiguration | undefined;
  configurationError?: string;
  dimension: number | null;
  seq: number;
}

function sqliteCode(err: unknown): string | undefined {
  return (err as { code?: unknown }).code as string | undefined;
}

/** SQLite's "this file is damaged" errors become CorruptionError; anything else is wrapped. */
export function sqliteError(err: unknown, file: string): ChromaLiteError {
  const code = sqliteCode(err);
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB") {
    return new CorruptionError(`${file} is damaged: ${(err as Error).message}`, { cause: err });
  }
  return wrapError(err, file);
}

/** Why `dir` holds no chromalite data (its SQLite file is missing), or undefined when it does. */
export function missingData(dir: string): string | undefined {
  return fs.existsSync(path.join(dir, SQLITE_FILE)) ? undefined : `${dir} holds no chromalite data (no ${SQLITE_FILE})`;
}

/** Total size in bytes of a file or folder (0 when missing). */
export function diskSize(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += diskSize(path.join(p, name));
  return total;
}

export class FolderReader {
  readonly dir: string;
  readonly file: string;
  /** Set when another process holds the folder exclusively (only with `lock: "if-free"`). */
  readonly inUseBy: number | undefined;
  /** True when other processes had the folder open when it was opened here. */
  readonly inUse: boolean;
  readonly #db: Database.Database;
  readonly #lock: FolderLock | undefined;
  /** -wal / -shm files our read-only connection created, removed again on close. */
  readonly #created: string[];
  /** The temporary copy read instead of a folder this process cannot write (removed on close). */
  #snapshot: string | undefined;

  private constructor(
    dir: string,
    db: Database.Database,
    lock: FolderLock | undefined,
    inUseBy: number | undefined,
    created: string[],
    snapshot: string | undefined,
  ) {
    this.dir = dir;
    this.file = path.join(dir, SQLITE_FILE);
    this.#db = db;
    this.#lock = lock;
    this.inUseBy = inUseBy;
    this.inUse = inUseBy !== undefined || (lock?.othersPresent() ?? true);
    this.#created = created;
    this.#snapshot = snapshot;
  }

  /**
   * Opens `dir` read-only, holding the folder lock shared (beside any processes sharing the folder).
   * `lock: "required"` refuses a folder another process holds exclusively (LockedError);
   * `"if-free"` then reads alongside that holder (a live server):
   * SQLite's WAL gives a consistent snapshot, index files are as last saved.
   */
  static open(dir: string, opts: { lock: "required" | "if-free" }): FolderReader {
    const resolved = path.resolve(dir);
    const file = path.join(resolved, SQLITE_FILE);
    const noData = missingData(resolved);
    if (noData) throw new NotFoundError(noData);
    let lock: FolderLock | undefined;
    let inUseBy: number | undefined;
    try {
      // Shared: reading beside the processes that use the folder, without keeping any of them out.
      lock = FolderLock.acquire(resolved, { readOnly: true, shared: true });
    } catch (err) {
      if (!(err instanceof LockedError) || opts.lock === "required") throw err;
      inUseBy = err.holderPid;
    }
    // Opening read-only still creates -wal and -shm when they are missing; remember which, so that a
    // folder we hold the lock of is left exactly as it was (a closed folder has neither).
    const companions = [`${file}-wal`, `${file}-shm`];
    const missing = lock ? companions.filter((f) => !fs.existsSync(f)) : [];
    // SQLite cannot open a WAL database read-only where it cannot create the -shm file (a read-only
    // mount, no write permission), and better-sqlite3 is built without URIs (no `immutable=1`): such
    // a folder is read from a temporary copy of its database (and WAL).
    const snapshot = folderWritable(resolved) ? undefined : snapshotDatabase(file);
    let db: Database.Database;
    try {
      db = new Database(snapshot ? path.join(snapshot, SQLITE_FILE) : file, { readonly: true, fileMustExist: true });
    } catch (err) {
      lock?.release();
      if (snapshot) fs.rmSync(snapshot, { recursive: true, force: true });
      throw sqliteError(err, file);
    }
    return new FolderReader(resolved, db, lock, inUseBy, snapshot ? [] : missing, snapshot);
  }

  #all<T>(sql: string, ...params: unknown[]): T[] {
    try {
      return this.#db.prepare(sql).all(...params) as T[];
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }

  #value<T>(sql: string, ...params: unknown[]): T {
    try {
      return this.#db.prepare(sql).pluck().get(...params) as T;
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }

  /** `PRAGMA integrity_check`: ["ok"] when healthy, else up to `max` lines describing the damage. */
  integrityCheck(max = 100): string[] {
    return this.#all<{ integrity_check: string }>(`PRAGMA integrity_check(${Math.max(1, Math.floor(max))})`).map(
      (r) => r.integrity_check,
    );
  }

  schemaVersion(): number | undefined {
    const v = this.#value<string | undefined>("SELECT value FROM store_info WHERE key = 'schema_version'");
    return v === undefined ? undefined : Number(v);
  }

  counts(): { tenants: number; databases: number } {
    return {
      tenants: this.#value<number>("SELECT count(*) FROM tenants"),
      databases: this.#value<number>("SELECT count(*) FROM databases"),
    };
  }

  collections(): StoredCollection[] {
    const rows = this.#all<Record<string, unknown>>(
      `SELECT c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, d.name AS database, d.tenant AS tenant
       FROM collections c LEFT JOIN databases d ON d.id = c.database_id ORDER BY d.tenant, d.name, c.cid`,
    );
    return rows.map((row) => {
      const out: StoredCollection = {
        cid: row.cid as number,
        id: row.id as string,
        name: row.name as string,
        tenant: (row.tenant as string | null) ?? null,
        database: (row.database as string | null) ?? null,
        metadata: null,
        configuration: undefined,
        dimension: (row.dimension as number | null) ?? null,
        seq: row.seq as number,
      };
      try {
        out.configuration = JSON.parse(row.configuration as string) as StoredConfiguration;
        if (typeof out.configuration?.hnsw?.space !== "string") throw new Error("no hnsw settings");
      } catch (err) {
        out.configuration = undefined;
        out.configurationError = (err as Error).message;
      }
      try {
        out.metadata = typeof row.metadata === "string" ? (JSON.parse(row.metadata) as CollectionMetadata) : null;
      } catch {
        out.metadata = null;
      }
      return out;
    });
  }

  countRecords(cid: number): number {
    return this.#value<number>("SELECT count(*) FROM records WHERE cid = ?", cid);
  }

  /** Records whose vector was written after `seq` (not in an index saved at `seq`). */
  countVectorsAfter(cid: number, seq: number): number {
    return this.#value<number>("SELECT count(*) FROM records WHERE cid = ? AND vector_seq > ?", cid, seq);
  }

  /** Rowids of vectors written at or before `seq`, in rowid order, one keyset page at a time. */
  ridsUpTo(cid: number, seq: number, afterRid: number, limit: number): number[] {
    return this.#all<{ rid: number }>(
      "SELECT rid FROM records WHERE cid = ? AND vector_seq <= ? AND rid > ? ORDER BY rid LIMIT ?",
      cid,
      seq,
      afterRid,
      limit,
    ).map((r) => r.rid);
  }

  /** Rowids whose vector changed after `seq`: deleted (tombstones) or written again. */
  changedAfter(cid: number, seq: number): number[] {
    return this.#all<{ rid: number }>(
      "SELECT rid FROM tombstones WHERE cid = ? AND seq > ? UNION SELECT rid FROM records WHERE cid = ? AND vector_seq > ?",
      cid,
      seq,
      cid,
      seq,
    ).map((r) => r.rid);
  }

  embeddings(rids: readonly number[]): Map<number, Float32Array> {
    const rows = this.#all<{ rid: number; embedding: Buffer }>(
      "SELECT rid, embedding FROM vectors WHERE rid IN (SELECT value FROM json_each(?))",
      JSON.stringify(rids),
    );
    return new Map(rows.map((r) => [r.rid, decodeEmbedding(r.embedding)]));
  }

  /** Row-level checks that need no index: each returns how many rows are wrong. */
  recordChecks(cid: number, dimension: number | null, seq: number): { badEmbeddings: number; badMetadata: number; aheadOfLog: number; danglingFilterRows: number } {
    return {
      badEmbeddings:
        dimension === null
          ? 0
          : this.#value<number>(
              "SELECT count(*) FROM records r LEFT JOIN vectors v ON v.rid = r.rid WHERE r.cid = ? AND (v.embedding IS NULL OR length(v.embedding) != ?)",
              cid,
              dimension * 4,
            ),
      badMetadata: this.#value<number>(
        "SELECT count(*) FROM records WHERE cid = ? AND metadata IS NOT NULL AND NOT json_valid(metadata)",
        cid,
      ),
      aheadOfLog: this.#value<number>("SELECT count(*) FROM records WHERE cid = ? AND vector_seq > ?", cid, seq),
      danglingFilterRows: this.#value<number>(
        "SELECT count(*) FROM record_meta m WHERE m.cid = ? AND NOT EXISTS (SELECT 1 FROM records r WHERE r.rid = m.rid)",
        cid,
      ),
    };
  }

  /** Index folder of a collection. */
  indexDir(id: string): string {
    return indexDirOf(this.dir, id);
  }

  /** Names under index/ that belong to no collection (the engine removes them on its next open). */
  orphanIndexDirs(known: Iterable<string>): string[] {
    const root = indexRoot(this.dir);
    if (!fs.existsSync(root)) return [];
    const ids = new Set(known);
    return fs.readdirSync(root).filter((name) => !ids.has(name));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
    if (this.#snapshot) fs.rmSync(this.#snapshot, { recursive: true, force: true });
    this.#snapshot = undefined;
    if (this.#lock) {
      // Only when no other process uses the folder: they may use these files.
      for (const f of this.#lock.alone() ? this.#created : []) {
        try {
          // Only an empty WAL can be ours (a read-only connection writes no frames).
          if (f.endsWith("-shm") || fs.statSync(f).size === 0) fs.rmSync(f, { force: true });
        } catch {
          // already gone
        }
      }
      this.#lock.release();
    }
  }
}

/** The persisted index of one collection, as its manifest describes it. */
export interface IndexFiles {
  /** `saved`: a manifest names the files; `none`: nothing saved yet; `unreadable`: a manifest that cannot be read. */
  state: "saved" | "none" | "unreadable";
  manifest?: IndexManifest;
  error?: string;
  bytes: number;
}

export async function readIndexFiles(dir: string): Promise<IndexFiles> {
  const bytes = diskSize(dir);
  try {
    const manifest = await HnswIndex.readManifest(dir);
    return manifest ? { state: "saved", manifest, bytes } : { state: "none", bytes };
  } catch (err) {
    return { state: "unreadable", error: (err as Error).message, bytes };
  }
}

/** Which collection a report line is about, and its size (tenant and database null when its database row is missing). */
export interface CollectionSummary {
  tenant: string | null;
  database: string | null;
  name: string;
  id: string;
  count: number;
  dimension: number | null;
}

export interface CollectionStats extends CollectionSummary {
  space: Space | null;
  index: {
    state: IndexFiles["state"];
    /** Records whose current vector is in the saved index. */
    indexed: number;
    /** Records whose vector the saved index lacks (indexed from SQLite on the next open); indexed + pending = count. */
    pending: number;
    /** Vectors in the saved index files (also those of records deleted or rewritten since it was saved). */
    vectorsInFiles: number;
    bytes: number;
    error?: string;
  };
}

export interface FolderStats {
  path: string;
  /** PID of the process holding the folder, if any: index numbers are then as it last saved them. */
  inUseBy?: number;
  /** Other processes have the folder open: counts are current, index numbers as last saved. */
  inUse?: boolean;
  schemaVersion: number | undefined;
  tenants: number;
  databases: number;
  bytes: { total: number; sqlite: number; index: number };
  collections: CollectionStats[];
}

/** Collections, counts, dimensions, index state and sizes of a folder, without changing it. */
export async function folderStats(dir: string): Promise<FolderStats> {
  // Sizes first: opening SQLite read-only adds a -shm file of its own.
  const root = path.resolve(dir);
  const file = path.join(root, SQLITE_FILE);
  const bytes = {
    total: diskSize(root),
    sqlite: diskSize(file) + diskSize(`${file}-wal`) + diskSize(`${file}-shm`),
    index: diskSize(indexRoot(root)),
  };
  const reader = FolderReader.open(root, { lock: "if-free" });
  try {
    const collections: CollectionStats[] = [];
    for (const c of reader.collections()) {
      const count = reader.countRecords(c.cid);
      const files = await readIndexFiles(reader.indexDir(c.id));
      const saved = files.manifest;
      const pending = saved ? reader.countVectorsAfter(c.cid, saved.seq) : count;
      collections.push({
        tenant: c.tenant,
        database: c.database,
        name: c.name,
        id: c.id,
        count,
        dimension: c.dimension,
        space: c.configuration?.hnsw.space ?? null,
        index: {
          state: files.state,
          indexed: count - pending,
          pending,
          vectorsInFiles: saved ? saved.liveCount : 0,
          bytes: files.bytes,
          ...(files.error ? { error: files.error } : {}),
        },
      });
    }
    const { tenants, databases } = reader.counts();
    return {
      path: reader.dir,
      ...(reader.inUseBy !== undefined ? { inUseBy: reader.inUseBy } : {}),
      ...(reader.inUse ? { inUse: true } : {}),
      schemaVersion: reader.schemaVersion(),
      tenants,
      databases,
      bytes,
      collections,
    };
  } finally {
    reader.close();
  }
}
