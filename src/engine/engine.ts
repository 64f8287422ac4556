/**
 * The engine: one per data folder. It runs every operation (open check, timeout and cancellation,
 * the gate that close waits on, logging, typed errors), writes and reads records, and owns the
 * folder's lifecycle (lock, open, close). Its parts: the catalog of tenants, databases and
 * collections (catalog.ts), the write ladder every change climbs (write-ladder.ts), reads and query
 * plans (reader.ts), each collection's vector index state (collection-state.ts) and the full-text
 * indexing schedule (fulltext-scheduler.ts). Everything runs on the caller's thread in short slices:
 * no call holds the event loop for long, and every call can be cancelled or time out while it waits
 * or between slices.
 */
import fs from "node:fs";
import { ChromaLiteError, ClosedError, InvalidArgumentError, NotFoundError, ResetDisabledError, wrapError } from "../errors.js";
import { silentLogger, type Logger } from "../logger.js";
import { DEFAULT_CLOSE_INDEXING_MS, DEFAULT_INSERT_NICE, DEFAULT_MAX_BATCH_SIZE, DEFAULT_TIMEOUT_MS } from "../model/defaults.js";
import type { FilterNode } from "../model/filter.js";
import { stringifyExact } from "../model/numbers.js";
import type { Columns } from "../model/include.js";
import { indexingStatus } from "../model/indexing-status.js";
import type { RecordBatch, RecordRow, WriteKind } from "../model/records.js";
import { columnsForSelect, type RankedRecord } from "../model/search-result.js";
import type { SearchPlan } from "../model/search.js";
import type { FolderLock, ReadOnlyPresence } from "../store/folder-lock.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import type { CallOptions, CloseOptions, IndexingStatus } from "../types.js";
import { OperationScope, yieldToEventLoop } from "../util/abort.js";
import { ReadWriteLock } from "../util/lock.js";
import { callEnds, chainedCall } from "../util/loop-turns.js";
import { deleteBatch, writeBatch, type WriteCounts } from "./batch-write.js";
import { Catalog, CollectionStates } from "./catalog.js";
import type { CollectionState, VectorChange } from "./collection-state.js";
import { indexRoot, removeOrphanIndexes } from "../vector/hnsw-index.js";
import { FullTextScheduler } from "./fulltext-scheduler.js";
import { openFolder, type EngineOptions } from "./open-folder.js";
import { ProcessSync } from "./process-sync.js";
import { CollectionReader } from "./reader.js";
import type { QueryPlan } from "./explain.js";
import { WriteLadder } from "./write-ladder.js";

export type { CollectionInfo } from "./catalog.js";
export type { EngineOptions } from "./open-folder.js";

export interface QueryHit {
  row: RecordRow;
  distance: number;
}

export class Engine {
  readonly path: string;
  readonly maxBatchSize: number;
  /** Tenants, databases and collections. */
  readonly catalog: Catalog;
  readonly #store: SqliteStore;
  readonly #reader: CollectionReader;
  /** The folder lock; a read-only engine's presence instead (it writes nothing, not even the lock file). */
  readonly #lock: FolderLock | ReadOnlyPresence;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  /** Every operation holds it shared; close and reset hold it alone. */
  readonly #gate = new ReadWriteLock();
  readonly #writes: WriteLadder;
  readonly #states: CollectionStates;
  readonly #text: FullTextScheduler;
  /** Aborts in-flight work when close({ cancel: true }) is called. */
  readonly #shutdown = new AbortController();
  #closing: Promise<void> | null = null;
  #closed = false;
  /** Keeps this process in step with others sharing the folder. */
  readonly #others: ProcessSync;

  private constructor(dir: string, store: SqliteStore, lock: FolderLock | ReadOnlyPresence, options: EngineOptions) {
    this.path = dir;
    this.#store = store;
    this.#reader = new CollectionReader(store);
    this.#lock = lock;
    this.#logger = options.logger ?? silentLogger;
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#writes = new WriteLadder(store);
    this.#states = new CollectionStates(store, this.#writes, dir, this.#logger, options.insertNice ?? DEFAULT_INSERT_NICE);
    this.catalog = new Catalog(store, this.#writes, this.#states);
    this.#text = new FullTextScheduler(store, this.#writes, this, this.#logger);
    this.#others = new ProcessSync(store, this.#states, () => {
      if (!this.readOnly) this.#text.scheduleDrain();
    }, () => this.run("catch up", undefined, () => undefined));
  }

  /**
   * Opens the folder: takes its lock (shared, or alone with `exclusive`), opens SQLite and removes
   * index folders of deleted collections. A read-only engine changes nothing (see ReadOnlyPresence).
   */
  static open(options: EngineOptions): Engine {
    const { dir, store, lock } = openFolder(options);
    const engine = new Engine(dir, store, lock, options);
    if (engine.readOnly) return engine;
    removeOrphanIndexes(dir, () => new Set(store.catalog.allCollections().map((c) => c.id)));
    engine.#text.start(); // backfill of an older folder, documents queued before a crash or close
    engine.#others.watch();
    return engine;
  }

  /** True when opened with `readOnly`. */
  get readOnly(): boolean {
    return this.#store.readOnly;
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
    const mustYield = chainedCall();
    try {
      releaseGate = await this.#gate.read(scope);
      // A call lets the event loop turn first (holding the gate, so close() still waits for it) unless
      // the loop itself started it (util/loop-turns.ts): a caller awaiting calls back to back, which
      // can all finish in microtasks, must not starve timers, I/O and the background indexers.
      if (mustYield) await yieldToEventLoop();
      if (this.#closed) throw new ClosedError(`${name}: the client is closed`);
      this.#store.checkFolder();
      await this.#others.sync(scope);
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
      callEnds();
    }
  }

  #state(id: string): CollectionState {
    return this.#states.get(id);
  }

  #assertLive(state: CollectionState): void {
    if (state.deleted) throw new NotFoundError(`Collection [${state.id}] does not exist`);
  }

  /** Runs a read of a live collection under its lock held shared (so it is not deleted meanwhile). */
  async #reading<T>(state: CollectionState, scope: OperationScope, fn: () => Promise<T> | T): Promise<T> {
    const release = await state.lock.read(scope);
    try {
      this.#assertLive(state);
      return await fn();
    } finally {
      release();
    }
  }

  /** A live collection's tenant and database, from memory (record routes check every request's path). */
  collectionPlace(id: string): { tenant: string; database: string } {
    const state = this.#state(id);
    this.#assertLive(state);
    return state.row;
  }

  collectionDimension(id: string): number | null {
    return this.#state(id).row.dimension;
  }

  // ------------------------------------------------------------------ record writes

  /** Adds, upserts or updates a validated batch. Atomic: on error or cancellation nothing is written. */
  async write(id: string, kind: WriteKind, batch: RecordBatch, scope: OperationScope): Promise<WriteCounts> {
    const state = this.#state(id);
    await state.room.prepare(scope);
    return state.room.admit(batch.embeddings?.length ?? 0, scope, () =>
      this.#writes.collection(state, scope, async (tx) => {
        const written = await writeBatch(this.#store, state, kind, batch, scope);
        tx.wrote(written.bytes);
        tx.afterCommit(() => this.#committed(state, written));
        return written.counts;
      }, "records"),
    );
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
    await state.room.prepare(scope);
    return this.#writes.collection(state, scope, async (tx) => {
      if (args.ids === undefined && args.filter === undefined) return 0;
      await this.#store.prepareFilter(state.cid, args.filter, () => this.#records(state), () => scope.signal);
      let rids = this.#reader.resolveRids(state.cid, args.ids, args.filter);
      if (args.limit !== undefined) rids = rids.slice(0, args.limit);
      if (rids.length === 0) return 0;
      const deleted = await deleteBatch(this.#store, state, rids, scope);
      tx.wrote(deleted.bytes);
      tx.afterCommit(() => this.#committed(state, deleted));
      return rids.length;
    }, "records");
  }

  /**
   * Runs a query's filter off the main thread when it may take long (store.prepareFilter), unless
   * its rowids are already cached for this write seq (reader.allowedFor): a repeated filter then
   * costs a lookup, not a worker round trip (which made a 1% filter query 5x slower).
   */
  async #prepareQueryFilter(state: CollectionState, ids: string[] | undefined, filter: FilterNode | undefined, scope: OperationScope): Promise<void> {
    if (filter === undefined) return;
    if (ids === undefined && state.reads.filter(stringifyExact(filter)) !== undefined) return;
    await this.#store.prepareFilter(state.cid, filter, () => this.#records(state), () => scope.signal);
  }

  /** Records in a collection (counted once per write seq), whether or not its index is loaded: sizes a filter. */
  #records(state: CollectionState): number {
    return state.reads.count(() => this.#store.countRecords(state.cid));
  }

  /** What a committed write changes in memory: in the tick of its commit, under its locks. */
  #committed(state: CollectionState, written: { seq: number; fromSeq: number; dimension: number | null; changes: VectorChange[] }): void {
    state.row.seq = written.seq;
    state.row.dimension = written.dimension;
    state.applyCommitted(written.changes, written.fromSeq, written.seq);
    this.#text.scheduleDrain();
  }

  // ------------------------------------------------------------------ record reads

  count(id: string, scope: OperationScope): Promise<number> {
    const state = this.#state(id);
    return this.#reading(state, scope, () => this.#records(state));
  }

  async get(
    id: string,
    args: { ids?: string[]; filter?: FilterNode; limit?: number; offset?: number; columns: Columns },
    scope: OperationScope,
  ): Promise<RecordRow[]> {
    const state = this.#state(id);
    return this.#reading(state, scope, async () => {
      const offset = args.offset ?? 0;
      const end = args.limit === undefined ? undefined : offset + args.limit;
      const limited = args.ids === undefined && end !== undefined;
      await this.#store.prepareFilter(state.cid, args.filter, () => this.#records(state), () => scope.signal, limited ? end : undefined);
      // Without ids, a limit lets SQLite stop at the page's end: a broad $contains then reads a few
      // documents instead of every match, and a page near the start of a large collection lists a
      // few rowids instead of all of them.
      const rids =
        limited
          ? this.#store.selectRids(state.cid, args.filter, end)
          : this.#reader.resolveRids(state.cid, args.ids, args.filter);
      return this.#reader.fetchRows(rids.slice(offset, end), args.columns, scope);
    });
  }

  /**
   * A page of all records in insertion order, read by SQLite without listing every rowid first (as
   * `get` does): export and copy read whole collections this way in linear time.
   */
  page(id: string, limit: number, offset: number, columns: Columns, scope: OperationScope): Promise<RecordRow[]> {
    const state = this.#state(id);
    return this.#reading(state, scope, () => this.#store.reads.pageRecords(state.cid, columns, limit, offset));
  }

  async query(
    id: string,
    args: { queries: Float32Array[]; nResults: number; ids?: string[]; filter?: FilterNode; columns: Columns; explain?: QueryPlan[] },
    scope: OperationScope,
  ): Promise<QueryHit[][]> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    return this.#reading(state, scope, async () => {
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
      await this.#prepareQueryFilter(state, args.ids, args.filter, scope);
      const scored = await this.#reader.nearest(state, args.queries, args, scope, args.explain);
      const uniqueRids = [...new Set(scored.flatMap((list) => list.map((s) => s.rid)))];
      const rows = new Map((await this.#reader.fetchRows(uniqueRids, args.columns, scope)).map((r) => [r.rid, r]));
      return scored.map((list) =>
        list.flatMap((s) => {
          const row = rows.get(s.rid);
          return row ? [{ row, distance: s.distance }] : [];
        }),
      );
    });
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
    // BM25 ranks over the whole collection: index what writes queued before ranking.
    if (plans.some((p) => p.knns.some((k) => k.source === "bm25"))) await this.#text.complete(state.cid, scope);
    return this.#reading(state, scope, async () => {
      const out: RankedRecord[][] = [];
      for (const plan of plans) {
        await this.#prepareQueryFilter(state, plan.ids, plan.filter, scope);
        out.push(await this.#reader.search(state, plan, columnsForSelect(plan.select), scope));
      }
      return out;
    });
  }

  async indexingStatus(id: string, scope: OperationScope): Promise<IndexingStatus> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    return this.#indexingStatus(state);
  }

  /** The indexing status if the index is in memory, else null: the console lists collections without loading them. */
  loadedIndexingStatus(id: string): IndexingStatus | null {
    const state = this.#state(id);
    return state.loaded ? this.#indexingStatus(state) : null;
  }

  /** Records wait for the vector index or for text indexing: whichever is further behind counts. */
  #indexingStatus(state: CollectionState): IndexingStatus {
    return indexingStatus(this.#records(state), Math.max(state.pendingCount, this.#text.queuedCount(state.cid)));
  }

  /**
   * Search quality (as Qdrant's): for each query, the `k` nearest by an exact scan of every vector
   * and by HNSW alone (no exact fallback), so a caller can compute recall. Read-only.
   */
  async compareExactAndAnn(id: string, queries: Float32Array[], k: number, scope: OperationScope): Promise<{ exact: number[][]; ann: number[][] }> {
    const state = this.#state(id);
    await state.ensureLoaded(scope);
    return this.#reading(state, scope, () => this.#reader.compareExactAndAnn(state, queries, k, scope));
  }

  /** Resolves when every committed record of the collection is in its vector and text indexes. */
  async waitForIndexing(id: string, scope: OperationScope): Promise<void> {
    const state = this.#state(id);
    await state.waitForIndexing(scope);
    await this.#text.drain(state.cid, scope);
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

  /**
   * Deletes every tenant, database, collection and record, with no other operation in flight. The
   * door says whether its configuration allows it (`allowReset`); refused with ResetDisabledError.
   */
  async reset(call: CallOptions | undefined, opts: { allowed: boolean }): Promise<void> {
    if (this.closed) throw new ClosedError("reset: the client is closed");
    if (!opts.allowed) throw new ResetDisabledError();
    await this.#exclusive("reset", call, (scope) =>
      this.#writes.exclusive(scope, async () => {
        for (const state of this.#states.values()) {
          state.deleted = true;
          await state.close({ save: false });
        }
        this.#states.clear();
        this.#store.catalog.resetAll();
        fs.rmSync(indexRoot(this.path), { recursive: true, force: true });
      }),
    );
  }

  /** Runs `fn` with no other operation in flight (used by reset). */
  async #exclusive<T>(name: string, call: CallOptions | undefined, fn: (scope: OperationScope) => Promise<T>): Promise<T> {
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

  /**
   * Closes the folder: waits for in-flight operations (or cancels them with `cancel`), stops the
   * indexers, saves the indexes, checkpoints and closes SQLite, and releases the lock. Idempotent.
   */
  close(opts: CloseOptions = {}): Promise<void> {
    if (opts.cancel) this.#shutdown.abort(new ClosedError("the client was closed while the operation was in flight"));
    this.#closing ??= this.#close(opts);
    return this.#closing;
  }

  async #close(opts: CloseOptions): Promise<void> {
    this.#others.unwatch();
    const release = await this.#gate.write();
    // Indexing what is pending (unless cancelled) leaves the folder ready for the next open.
    const scope = opts.cancel ? undefined : new OperationScope("close", undefined, opts.timeout ?? DEFAULT_CLOSE_INDEXING_MS);
    try {
      for (const state of this.#states.values()) {
        const onProgress = (pending: number) => {
          opts.onProgress?.({ collection: state.row.name, pending });
          this.#logger.info?.({ collection: state.row.name, pending }, "indexing before close");
        };
        // Read only: nothing is saved, so indexing what is pending first would be wasted.
        const finish = scope && !this.readOnly ? { scope, onProgress } : undefined;
        await state.close({ save: !this.readOnly, finish });
      }
      this.#states.clear();
      await this.#store.close();
    } finally {
      scope?.dispose();
      this.#closed = true;
      this.#lock.release();
      release();
    }
  }
}
