/**
 * The engine: one per data folder. It serialises writes, plans queries, keeps each collection's
 * vector index in step with SQLite, and owns the folder's lifecycle (lock, open, close). Everything
 * runs on the caller's thread in short slices: no call holds the event loop for long, and every call
 * can be cancelled or time out while it waits or between slices.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  ChromaLiteError,
  ClosedError,
  InvalidArgumentError,
  NotFoundError,
  ResetDisabledError,
  UniqueConstraintError,
  wrapError,
} from "../errors.js";
import { silentLogger, type Logger } from "../logger.js";
import {
  applyHnswUpdate,
  resolveCreateHnsw,
  validateCollectionMetadata,
  type StoredConfiguration,
} from "../model/collection.js";
import type { FilterNode } from "../model/filter.js";
import type { SearchPlan } from "../model/search.js";
import { columnsForSelect, type RankedRecord } from "../model/search-result.js";
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_TIMEOUT_MS } from "../model/defaults.js";
import type { RecordBatch, RecordRow, WriteKind } from "../model/records.js";
import type { Columns } from "../model/include.js";
import { FolderLock } from "../store/folder-lock.js";
import { SqliteStore, type CollectionRow } from "../store/sqlite-store.js";
import type {
  CallOptions,
  CollectionMetadata,
  Durability,
  EmbeddingFunctionConfiguration,
  HnswConfiguration,
  IndexingStatus,
  Metadata,
} from "../types.js";
import { forEachChunked, OperationScope, yieldToEventLoop } from "../util/abort.js";
import { Mutex, ReadWriteLock } from "../util/lock.js";
import { CollectionState, type VectorChange } from "./collection-state.js";
import { bm25TermIds, splitAtWhitespace } from "../text/bm25.js";
import { CollectionReader } from "./reader.js";

export interface EngineOptions {
  /** The data folder. Created if missing. */
  path: string;
  /** `normal` (default): an acknowledged write survives a process crash. `full`: also a power loss. */
  durability?: Durability;
  /** Allow `reset()`, which deletes everything. Off by default, as in Chroma. */
  allowReset?: boolean;
  /** Largest accepted batch; Chroma's is 5461. */
  maxBatchSize?: number;
  /** Default timeout of every operation in ms (0 = none). */
  timeoutMs?: number;
  logger?: Logger;
}

/** What the engine reports about a collection. */
export interface CollectionInfo {
  id: string;
  name: string;
  tenant: string;
  database: string;
  metadata: CollectionMetadata | null;
  configuration: StoredConfiguration;
  dimension: number | null;
  logPosition: number;
  version: number;
}

export interface QueryHit {
  row: RecordRow;
  distance: number;
}

const CHECKPOINT_BYTES = 8 << 20;
/** Documents of at least this many characters are tokenized ahead of their indexing, in slices. */
const LARGE_DOCUMENT_CHARS = 64 * 1024;

function toInfo(row: CollectionRow): CollectionInfo {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    database: row.database,
    metadata: row.metadata,
    configuration: row.configuration,
    dimension: row.dimension,
    logPosition: row.seq,
    version: row.version,
  };
}

function mergeMetadata(oldJson: string | null, update: Metadata): Metadata | null {
  const merged: Metadata = oldJson ? (JSON.parse(oldJson) as Metadata) : {};
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return Object.keys(merged).length === 0 ? null : merged;
}

function dropNulls(metadata: Metadata): Metadata | null {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== null) out[k] = v;
  return Object.keys(out).length === 0 ? null : out;
}

export class Engine {
  readonly path: string;
  readonly maxBatchSize: number;
  readonly #store: SqliteStore;
  readonly #reader: CollectionReader;
  readonly #lock: FolderLock;
  readonly #logger: Logger;
  readonly #allowReset: boolean;
  readonly #timeoutMs: number;
  /** Every operation holds it shared; close and reset hold it alone. */
  readonly #gate = new ReadWriteLock();
  /** One SQLite write transaction at a time. */
  readonly #writeMutex = new Mutex();
  readonly #states = new Map<string, CollectionState>();
  /** Aborts in-flight work when close({ cancel: true }) is called. */
  readonly #shutdown = new AbortController();
  #closing: Promise<void> | null = null;
  /** The background full-text indexing loop, while it runs. */
  #draining: Promise<void> | null = null;
  #closed = false;
  #bytesSinceCheckpoint = 0;

  private constructor(dir: string, store: SqliteStore, lock: FolderLock, options: EngineOptions) {
    this.path = dir;
    this.#store = store;
    this.#reader = new CollectionReader(store);
    this.#lock = lock;
    this.#logger = options.logger ?? silentLogger;
    this.#allowReset = options.allowReset ?? false;
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Opens the folder: takes its lock, opens SQLite and removes index folders of deleted collections. */
  static open(options: EngineOptions): Engine {
    const dir = path.resolve(options.path);
    fs.mkdirSync(dir, { recursive: true });
    const lock = FolderLock.acquire(dir);
    let store: SqliteStore;
    try {
      store = SqliteStore.open(dir, { durability: options.durability ?? "normal" });
    } catch (err) {
      lock.release();
      throw err;
    }
    const engine = new Engine(dir, store, lock, options);
    engine.#removeOrphanIndexes();
    engine.#backfillFullText();
    engine.#scheduleFullTextDrain(); // documents queued before a crash or close
    return engine;
  }

  /**
   * A folder from before the full-text indexes gets them built in the background, one short slice per
   * operation so that other calls (and close) interleave; a BM25 search finishes its collection first.
   */
  #backfillFullText(): void {
    if (this.#store.fts.pendingCollections.length === 0) return;
    const loop = async () => {
      for (const cid of this.#store.fts.pendingCollections) {
        while (!this.closed && !this.#store.fts.ready(cid)) {
          await this.run("backfillFullText", { timeout: 0 }, (scope) => this.#fullTextSlice(cid, scope));
        }
      }
    };
    loop().catch((err: unknown) => {
      if (!this.closed) this.#logger.warn?.({ err }, "full-text backfill stopped; BM25 searches will resume it");
    });
  }

  /** Runs the full-text queue drain in the background, one short transaction per operation slot. */
  #scheduleFullTextDrain(): void {
    if (this.#draining || this.closed) return;
    this.#draining = (async () => {
      while (!this.closed && this.#store.fts.hasQueued()) {
        await this.run("indexFullText", { timeout: 0 }, (scope) => this.#drainFullTextSlice(scope));
      }
    })()
      .catch((err: unknown) => {
        if (!this.closed) this.#logger.warn?.({ err }, "full-text indexing stopped; the next write resumes it");
      })
      .finally(() => {
        this.#draining = null;
      });
  }

  /**
   * Runs `work` in one short write transaction of its own (rolled back if it throws), then lets the
   * event loop turn. Background text indexing is done in such slices.
   */
  async #backgroundSlice(scope: OperationScope, work: () => void): Promise<void> {
    const release = await this.#writeMutex.acquire(scope);
    try {
      this.#store.begin();
      try {
        work();
        this.#store.commit();
      } catch (err) {
        this.#store.rollback();
        throw err;
      }
    } finally {
      release();
    }
    await yieldToEventLoop();
  }

  /** Indexes a few ms worth of a collection's records into its full-text indexes (migration backfill). */
  #fullTextSlice(cid: number, scope: OperationScope): Promise<void> {
    return this.#backgroundSlice(scope, () => {
      const until = performance.now() + 4;
      while (this.#store.fts.backfillSlice(cid, 2) && performance.now() < until);
    });
  }

  /**
   * Indexes ~4 ms worth of queued documents in one transaction (its commit adds a few ms). A very
   * large document is tokenized for BM25 first, outside the transaction and in slices: at ~0.6 µs a
   * word, a 600 KB document would otherwise hold the event loop for 60 ms.
   */
  async #drainFullTextSlice(scope: OperationScope): Promise<void> {
    for (let large = this.#store.fts.nextLargeQueued(LARGE_DOCUMENT_CHARS); large; large = this.#store.fts.nextLargeQueued(LARGE_DOCUMENT_CHARS)) {
      const ids: number[] = [];
      for (const piece of splitAtWhitespace(large.document, LARGE_DOCUMENT_CHARS / 2)) {
        for (const id of bm25TermIds(piece)) ids.push(id);
        scope.check();
        await yieldToEventLoop();
      }
      this.#store.fts.prepare(large.rid, large.document, ids.join(" "));
    }
    return this.#backgroundSlice(scope, () => {
      const until = performance.now() + 4;
      while (this.#store.fts.drainSlice(1) > 0 && performance.now() < until);
      this.#store.fts.mergeTouched();
    });
  }

  #removeOrphanIndexes(): void {
    const indexRoot = path.join(this.path, "index");
    if (!fs.existsSync(indexRoot)) return;
    const known = new Set(this.#store.allCollections().map((c) => c.id));
    for (const name of fs.readdirSync(indexRoot)) {
      if (!known.has(name)) fs.rmSync(path.join(indexRoot, name), { recursive: true, force: true });
    }
  }

  get closed(): boolean {
    return this.#closed || this.#closing !== null;
  }

  /**
   * Runs one operation: checks the engine is open, applies the timeout and the caller's signal, holds
   * the gate so close() waits for it, logs it, and turns foreign errors into typed ones.
   */
  async run<T>(name: string, call: CallOptions | undefined, fn: (scope: OperationScope) => Promise<T> | T): Promise<T> {
    if (this.closed) throw new ClosedError(`${name}: the client is closed`);
    const timeout = call?.timeout ?? this.#timeoutMs;
    const scope = new OperationScope(name, [call?.signal, this.#shutdown.signal], timeout);
    const started = performance.now();
    let releaseGate: (() => void) | undefined;
    try {
      releaseGate = await this.#gate.read(scope);
      if (this.#closed) throw new ClosedError(`${name}: the client is closed`);
      const result = await fn(scope);
      this.#logger.debug?.({ op: name, ms: +(performance.now() - started).toFixed(3), ok: true }, name);
      return result;
    } catch (err) {
      const typed = err instanceof ChromaLiteError ? err : wrapError(err, name);
      this.#logger.debug?.(
        { op: name, ms: +(performance.now() - started).toFixed(3), ok: false, error: typed.name, message: typed.message },
        name,
      );
      throw typed;
    } finally {
      releaseGate?.();
      scope.dispose();
    }
  }

  // ------------------------------------------------------------------ tenants and databases

  createTenant(name: string): void {
    if (!this.#store.createTenant(name)) throw new UniqueConstraintError(`Tenant [${name}] already exists`);
  }

  getTenant(name: string): { name: string } {
    if (!this.#store.tenantExists(name)) throw new NotFoundError(`Tenant [${name}] not found`);
    return { name };
  }

  createDatabase(tenant: string, name: string): void {
    this.getTenant(tenant);
    if (!this.#store.createDatabase(randomUUID(), tenant, name)) {
      throw new UniqueConstraintError(`Database [${name}] already exists`);
    }
  }

  getDatabase(tenant: string, name: string): { id: string; name: string; tenant: string } {
    const db = this.#store.getDatabase(tenant, name);
    if (!db) throw new NotFoundError(`Database [${name}] not found in tenant [${tenant}]`);
    return db;
  }

  listDatabases(tenant: string, limit: number, offset: number): { id: string; name: string; tenant: string }[] {
    this.getTenant(tenant);
    return this.#store.listDatabases(tenant, limit, offset);
  }

  async deleteDatabase(tenant: string, name: string, scope: OperationScope): Promise<void> {
    const db = this.getDatabase(tenant, name);
    const rows = this.#store.listCollections(db.id, -1, 0);
    for (const row of rows) await this.#deleteCollectionRow(row, scope);
    this.#store.deleteDatabase(db.id);
  }

  #databaseId(tenant: string, database: string): string {
    const db = this.#store.getDatabase(tenant, database);
    if (!db) {
      if (!this.#store.tenantExists(tenant)) throw new NotFoundError(`Tenant [${tenant}] not found`);
      throw new NotFoundError(`Database [${database}] not found in tenant [${tenant}]`);
    }
    return db.id;
  }

  // ------------------------------------------------------------------ collections

  async createCollection(
    args: {
      tenant: string;
      database: string;
      name: string;
      metadata?: unknown;
      hnsw?: HnswConfiguration | null;
      embeddingFunction?: EmbeddingFunctionConfiguration | null;
      defaultSpace?: "l2" | "cosine" | "ip";
      getOrCreate: boolean;
    },
    scope: OperationScope,
  ): Promise<{ info: CollectionInfo; created: boolean }> {
    const databaseId = this.#databaseId(args.tenant, args.database);
    const metadata = validateCollectionMetadata(args.metadata);
    const hnsw = resolveCreateHnsw(args.hnsw, metadata, args.defaultSpace);
    const release = await this.#writeMutex.acquire(scope);
    try {
      const existing = this.#store.collectionByName(databaseId, args.name);
      if (existing) {
        if (args.getOrCreate) return { info: toInfo(existing), created: false };
        throw new UniqueConstraintError(`Collection [${args.name}] already exists`);
      }
      const configuration: StoredConfiguration = {
        hnsw,
        spann: null,
        embedding_function: args.embeddingFunction ?? null,
      };
      const id = randomUUID();
      this.#store.insertCollection({ id, databaseId, name: args.name, metadata, configuration });
      const row = this.#store.collectionById(id)!;
      return { info: toInfo(row), created: true };
    } finally {
      release();
    }
  }

  getCollection(tenant: string, database: string, name: string): CollectionInfo {
    const row = this.#store.collectionByName(this.#databaseId(tenant, database), name);
    if (!row) throw new NotFoundError(`Collection [${name}] does not exist`);
    return toInfo(row);
  }

  getCollectionById(id: string): CollectionInfo {
    const row = this.#store.collectionById(id);
    if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
    return toInfo(row);
  }

  listCollections(tenant: string, database: string, limit: number, offset: number): CollectionInfo[] {
    return this.#store.listCollections(this.#databaseId(tenant, database), limit, offset).map(toInfo);
  }

  countCollections(tenant: string, database: string): number {
    return this.#store.countCollections(this.#databaseId(tenant, database));
  }

  async deleteCollection(tenant: string, database: string, name: string, scope: OperationScope): Promise<void> {
    const row = this.#store.collectionByName(this.#databaseId(tenant, database), name);
    if (!row) throw new NotFoundError(`Collection [${name}] does not exist`);
    await this.#deleteCollectionRow(row, scope);
  }

  async #deleteCollectionRow(row: CollectionRow, scope: OperationScope): Promise<void> {
    const state = this.#state(row.id);
    const releaseCollection = await state.lock.write(scope);
    try {
      const release = await this.#writeMutex.acquire(scope);
      try {
        this.#store.begin();
        try {
          // Records go in slices so a large collection never holds the event loop for long.
          while (this.#store.deleteRecordSlice(row.cid, 2000) > 0) {
            scope.check();
            await yieldToEventLoop();
          }
          scope.check();
          this.#store.deleteCollection(row.cid);
          this.#store.commit();
        } catch (err) {
          this.#store.rollback();
          throw err;
        }
      } finally {
        release();
      }
      this.#states.delete(row.id);
      state.deleted = true;
    } finally {
      releaseCollection();
    }
    // Outside the collection lock: the indexer may be waiting for that lock, and close() waits for
    // the indexer, so closing while holding it would deadlock.
    await state.close({ save: false });
    fs.rmSync(state.indexDir, { recursive: true, force: true });
  }

  async modifyCollection(
    id: string,
    change: {
      name?: string;
      metadata?: unknown;
      hnsw?: unknown;
      embeddingFunction?: EmbeddingFunctionConfiguration | null;
    },
    scope: OperationScope,
  ): Promise<CollectionInfo> {
    const state = this.#state(id);
    const releaseCollection = await state.lock.write(scope);
    try {
      this.#assertLive(state);
      const release = await this.#writeMutex.acquire(scope);
      try {
        const row = this.#store.collectionById(id);
        if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
        const update: { name?: string; metadata?: CollectionMetadata | null; configuration?: StoredConfiguration } = {};
        if (change.name !== undefined && change.name !== row.name) {
          if (this.#store.collectionByName(row.databaseId, change.name)) {
            throw new UniqueConstraintError(`Collection [${change.name}] already exists`);
          }
          update.name = change.name;
        }
        if (change.metadata !== undefined) update.metadata = validateCollectionMetadata(change.metadata);
        if (change.hnsw !== undefined || change.embeddingFunction !== undefined) {
          update.configuration = {
            ...row.configuration,
            hnsw: applyHnswUpdate(row.configuration.hnsw, change.hnsw),
            ...(change.embeddingFunction !== undefined ? { embedding_function: change.embeddingFunction } : {}),
          };
        }
        this.#store.updateCollection(row.cid, update);
        const fresh = this.#store.collectionById(id)!;
        state.row = fresh;
        state.setEfSearch(fresh.configuration.hnsw.ef_search);
        return toInfo(fresh);
      } finally {
        release();
      }
    } finally {
      releaseCollection();
    }
  }

  #state(id: string): CollectionState {
    let state = this.#states.get(id);
    if (!state) {
      const row = this.#store.collectionById(id);
      if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
      state = new CollectionState(row, this.#store, this.path, this.#logger);
      this.#states.set(id, state);
    }
    return state;
  }

  #assertLive(state: CollectionState): void {
    if (state.deleted) throw new NotFoundError(`Collection [${state.id}] does not exist`);
  }

  collectionDimension(id: string): number | null {
    return this.#state(id).row.dimension;
  }

  // ------------------------------------------------------------------ record writes

  /** Adds, upserts or updates a validated batch. Atomic: on error or cancellation nothing is written. */
  async write(id: string, kind: WriteKind, batch: RecordBatch, scope: OperationScope): Promise<void> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    await state.admitWrite(scope);
    const releaseCollection = await state.lock.write(scope);
    try {
      this.#assertLive(state);
      const release = await this.#writeMutex.acquire(scope);
      try {
        await this.#writeLocked(state, kind, batch, scope);
      } finally {
        release();
      }
    } finally {
      releaseCollection();
    }
    this.#maybeCheckpoint();
  }

  async #writeLocked(state: CollectionState, kind: WriteKind, batch: RecordBatch, scope: OperationScope): Promise<void> {
    const store = this.#store;
    const cid = state.cid;
    let dimension = state.row.dimension;
    const embeddings = batch.embeddings;
    if (embeddings && embeddings.length > 0) {
      const d = embeddings[0]!.length;
      if (dimension !== null && d !== dimension) {
        throw new InvalidArgumentError(`Collection expecting embedding with dimension of ${dimension}, got ${d}`);
      }
      dimension ??= d;
    }
    if (kind !== "update" && !embeddings && batch.ids.length > 0) {
      throw new InvalidArgumentError(`Embeddings are required to ${kind} records (no embedding function is set)`);
    }
    const seq = state.row.seq + 1;
    const changes: VectorChange[] = [];
    let bytes = 0;
    if (state.row.dimension === null && kind === "update") dimension = null; // nothing exists to update yet
    store.begin();
    try {
      const existing = store.lookupIds(cid, batch.ids);
      await forEachChunked(
        batch.ids,
        (recordId, i) => {
          const embedding = embeddings?.[i];
          const document = batch.documents?.[i];
          const metadata = batch.metadatas?.[i];
          const uri = batch.uris?.[i];
          const found = existing.get(recordId);
          bytes += (embedding?.byteLength ?? 0) + (document?.length ?? 0) + 64;
          if (found) {
            if (kind === "add") return; // Chroma keeps the existing record
            const merged = metadata ? mergeMetadata(found.metadata, metadata) : undefined;
            store.updateRecord(cid, found.rid, seq, {
              embedding,
              document: document ?? undefined,
              uri: uri ?? undefined,
              metadataJson: merged === undefined ? undefined : merged ? JSON.stringify(merged) : null,
              metadata: merged ?? undefined,
            });
            if (merged !== undefined) found.metadata = merged ? JSON.stringify(merged) : null;
            if (embedding) changes.push({ rid: found.rid, seq, vector: embedding });
            return;
          }
          if (kind === "update") return; // Chroma ignores updates of missing ids
          const clean = metadata ? dropNulls(metadata) : null;
          const metadataJson = clean ? JSON.stringify(clean) : null;
          const rid = store.insertRecord(cid, recordId, seq, {
            embedding: embedding!,
            document: document ?? null,
            uri: uri ?? null,
            metadataJson,
            metadata: clean,
          });
          existing.set(recordId, { rid, metadata: metadataJson });
          changes.push({ rid, seq, vector: embedding! });
        },
        scope,
      );
      scope.check();
      // Same tick as the commit: no reader can see the new seq or dimension before they are durable.
      store.setCollectionSeq(cid, seq, dimension);
      store.commit();
    } catch (err) {
      store.rollback();
      throw err;
    }
    state.row.seq = seq;
    state.row.dimension = dimension;
    state.applyCommitted(changes);
    this.#scheduleFullTextDrain();
    this.#bytesSinceCheckpoint += bytes;
  }

  async deleteRecords(
    id: string,
    args: { ids?: string[]; filter?: FilterNode; limit?: number },
    scope: OperationScope,
  ): Promise<number> {
    // Chroma (server and client) refuses a limit that has no filter to apply to.
    if (args.limit !== undefined && args.filter === undefined) {
      throw new InvalidArgumentError("Validation error: limit can only be specified when a where or whereDocument clause is provided");
    }
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    const releaseCollection = await state.lock.write(scope);
    try {
      this.#assertLive(state);
      if (args.ids === undefined && args.filter === undefined) return 0;
      const release = await this.#writeMutex.acquire(scope);
      try {
        let rids = this.#reader.resolveRids(state.cid, args.ids, args.filter);
        if (args.limit !== undefined) rids = rids.slice(0, args.limit);
        if (rids.length === 0) return 0;
        const seq = state.row.seq + 1;
        const store = this.#store;
        store.begin();
        try {
          await forEachChunked(rids, (rid) => store.deleteRecord(state.cid, rid, seq), scope);
          scope.check();
          store.setCollectionSeq(state.cid, seq, state.row.dimension);
          store.commit();
        } catch (err) {
          store.rollback();
          throw err;
        }
        state.row.seq = seq;
        state.applyCommitted(rids.map((rid) => ({ rid, seq, deleted: true as const })));
        this.#scheduleFullTextDrain();
        this.#bytesSinceCheckpoint += rids.length * 64;
        return rids.length;
      } finally {
        release();
      }
    } finally {
      releaseCollection();
      this.#maybeCheckpoint();
    }
  }

  #maybeCheckpoint(): void {
    if (this.#bytesSinceCheckpoint < CHECKPOINT_BYTES) return;
    this.#bytesSinceCheckpoint = 0;
    this.#store.requestCheckpoint();
  }

  // ------------------------------------------------------------------ record reads

  async count(id: string, scope: OperationScope): Promise<number> {
    const state = this.#state(id);
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      return this.#store.countRecords(state.cid);
    } finally {
      release();
    }
  }

  async get(
    id: string,
    args: { ids?: string[]; filter?: FilterNode; limit?: number; offset?: number; columns: Columns },
    scope: OperationScope,
  ): Promise<RecordRow[]> {
    const state = this.#state(id);
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      const offset = args.offset ?? 0;
      const end = args.limit === undefined ? undefined : offset + args.limit;
      // A filter alone with a limit lets SQLite stop at the page's end: a broad $contains then reads a
      // few documents instead of every match.
      const rids =
        args.ids === undefined && args.filter !== undefined && end !== undefined
          ? this.#store.selectRids(state.cid, args.filter, end)
          : this.#reader.resolveRids(state.cid, args.ids, args.filter);
      const page = rids.slice(offset, end);
      return await this.#reader.fetchRows(page, args.columns, scope);
    } finally {
      release();
    }
  }

  /**
   * A page of all records in insertion order, read by SQLite without listing every rowid first (as
   * `get` does): export and copy read whole collections this way in linear time.
   */
  async page(id: string, limit: number, offset: number, columns: Columns, scope: OperationScope): Promise<RecordRow[]> {
    const state = this.#state(id);
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      return this.#store.pageRecords(state.cid, columns, limit, offset);
    } finally {
      release();
    }
  }

  async query(
    id: string,
    args: { queries: Float32Array[]; nResults: number; ids?: string[]; filter?: FilterNode; columns: Columns },
    scope: OperationScope,
  ): Promise<QueryHit[][]> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      const dimension = state.row.dimension;
      for (let i = 0; i < args.queries.length; i++) {
        const q = args.queries[i]!;
        if (dimension !== null && q.length !== dimension) {
          throw new InvalidArgumentError(
            `Collection expecting embedding with dimension of ${dimension}, got ${q.length} (at queryEmbeddings[${i}])`,
          );
        }
      }
      if (args.queries.length === 0) return [];
      const scored = await this.#reader.nearest(state, args.queries, args, scope);
      const uniqueRids = [...new Set(scored.flatMap((list) => list.map((s) => s.rid)))];
      const rows = new Map((await this.#reader.fetchRows(uniqueRids, args.columns, scope)).map((r) => [r.rid, r]));
      return scored.map((list) =>
        list.flatMap((s) => {
          const row = rows.get(s.rid);
          return row ? [{ row, distance: s.distance }] : [];
        }),
      );
    } finally {
      release();
    }
  }

  /**
   * Runs Search API plans (model/search.ts): each `$knn` term ranks by the dense embedding (exact scan
   * or HNSW, as `query`) or by BM25 over the documents (FTS5), within the filter; the rank expression
   * scores the union of their results (Chroma's rules: a Knn without a default must list a record),
   * and the page `offset..offset+limit` of the ascending scores is returned. Dense text queries must
   * have been embedded by the caller.
   */
  async search(id: string, plans: SearchPlan[], scope: OperationScope): Promise<RankedRecord[][]> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    if (plans.some((p) => p.knns.some((k) => k.source === "bm25"))) {
      while (!this.#store.fts.ready(state.cid)) await this.#fullTextSlice(state.cid, scope);
      // BM25 ranks over the whole collection: index what writes queued before ranking.
      while (this.#store.fts.hasQueued(state.cid)) await this.#drainFullTextSlice(scope);
    }
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      const out: RankedRecord[][] = [];
      for (const plan of plans) out.push(await this.#reader.search(state, plan, columnsForSelect(plan.select), scope));
      return out;
    } finally {
      release();
    }
  }

  async indexingStatus(id: string, scope: OperationScope): Promise<IndexingStatus> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    // Records waiting for the vector index or for text indexing (whichever is further behind).
    const unindexed = Math.max(state.pendingCount, this.#store.fts.queuedCount(state.cid));
    const total = this.#store.countRecords(state.cid);
    const indexed = Math.max(0, total - unindexed);
    return {
      num_indexed_ops: indexed,
      num_unindexed_ops: unindexed,
      total_ops: total,
      op_indexing_progress: total === 0 ? 1 : indexed / total,
    };
  }

  /** Resolves when every committed record of the collection is in its vector and text indexes. */
  async waitForIndexing(id: string, scope: OperationScope): Promise<void> {
    const state = this.#state(id);
    await state.waitForIndexing(scope);
    while (this.#store.fts.hasQueued(state.cid)) await this.#drainFullTextSlice(scope);
  }

  /** Saves every loaded collection's index now (they are otherwise saved in the background and on close). */
  async flush(scope: OperationScope): Promise<void> {
    for (const state of this.#states.values()) {
      scope.check();
      await state.save();
    }
    this.#store.requestCheckpoint();
  }

  // ------------------------------------------------------------------ whole-store operations

  /** Deletes every tenant, database, collection and record. Only when opened with `allowReset`. */
  async reset(scope: OperationScope): Promise<void> {
    if (!this.#allowReset) throw new ResetDisabledError();
    // Holding the gate alone: no other operation is running.
    const release = await this.#writeMutex.acquire(scope);
    try {
      for (const state of this.#states.values()) {
        state.deleted = true;
        await state.close({ save: false });
      }
      this.#states.clear();
      this.#store.resetAll();
      fs.rmSync(path.join(this.path, "index"), { recursive: true, force: true });
    } finally {
      release();
    }
  }

  /** Runs `fn` with no other operation in flight (used by reset). */
  async exclusive<T>(name: string, call: CallOptions | undefined, fn: (scope: OperationScope) => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError(`${name}: the client is closed`);
    const scope = new OperationScope(name, call?.signal, call?.timeout ?? this.#timeoutMs);
    try {
      const release = await this.#gate.write(scope);
      try {
        if (this.#closed) throw new ClosedError(`${name}: the client is closed`);
        return await fn(scope);
      } finally {
        release();
      }
    } catch (err) {
      throw err instanceof ChromaLiteError ? err : wrapError(err, name);
    } finally {
      scope.dispose();
    }
  }

  integrityCheck(): string[] {
    return this.#store.integrityCheck();
  }

  /**
   * Closes the folder: waits for in-flight operations (or cancels them with `cancel`), stops the
   * indexers, saves the indexes, checkpoints and closes SQLite, and releases the lock. Idempotent.
   */
  close(opts: { cancel?: boolean } = {}): Promise<void> {
    if (opts.cancel) this.#shutdown.abort(new ClosedError("the client was closed while the operation was in flight"));
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const release = await this.#gate.write();
    try {
      for (const state of this.#states.values()) await state.close({ save: true });
      this.#states.clear();
      await this.#store.close();
    } finally {
      this.#closed = true;
      this.#lock.release();
      release();
    }
  }
}

