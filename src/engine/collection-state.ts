/**
 * The in-memory side of one collection: its lock, its vector index and the vectors committed to
 * SQLite but not yet in the index ("pending"). Writes commit to SQLite and hand their vectors to
 * pending in the same tick; a background indexer moves them into HNSW in batches that run on other
 * threads while queries go on; queries search the index and scan pending exactly (native code), so a
 * query always sees every committed write.
 */
import type { Logger } from "../logger.js";
import type { HnswSettings } from "../model/collection.js";
import { HnswIndex, hnswParams, indexDirOf } from "../vector/hnsw-index.js";
import { PendingVectors } from "../vector/pending.js";
import type { CollectionRow, SqliteStore } from "../store/sqlite-store.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import { ReadWriteLock } from "../util/lock.js";
import type { Scored } from "./top-k.js";
import { annSearch, exactSearch } from "./merged-search.js";
import { loadIndex, logChangesAfter } from "./index-load.js";
import { ReadCache } from "./read-cache.js";
import type { RidSet } from "./rid-set.js";
import { GraphRemovals } from "./graph-removals.js";
import { GraphCompaction } from "./graph-compaction.js";
import { WriteRoom } from "./write-room.js";
import { IndexSaves, TRIM_TIMEOUT_MS } from "./index-saves.js";
import type { WriteLadder } from "./write-ladder.js";

/** A vector change committed to SQLite, to be applied in memory. */
export type VectorChange = { rid: number; seq: number; vector: Float32Array } | { rid: number; seq: number; deleted: true };

/** An insert batch aims at about this long on its threads: long enough to use them well, short enough for close. */
const BATCH_MS = 30;
const MIN_BATCH = 16;
const MAX_BATCH = 8192;

export class CollectionState {
  readonly cid: number;
  readonly id: string;
  readonly lock = new ReadWriteLock();
  readonly indexDir: string;
  row: CollectionRow;
  /** Set when the collection was deleted; operations that waited on its lock then fail. */
  deleted = false;

  #store: SqliteStore;
  readonly #writes: WriteLadder;
  #logger: Logger;
  #index: HnswIndex | null = null;
  #pending: PendingVectors | null = null;
  /** Removals that must wait for an insert batch or a save. */
  readonly #removals = new GraphRemovals();
  readonly #compaction: GraphCompaction;
  #loaded = false;
  #loading: Promise<void> | null = null;
  /**
   * The write seq up to which the index and pending hold every committed change. Behind row.seq when
   * another process wrote: {@link catchUp} reads the rest from the log.
   */
  #syncedSeq = 0;
  readonly #saves: IndexSaves;
  #batchSize = 256;
  #indexer: Promise<void> | null = null;
  #stopping = false;
  /** Vectors indexed since the collection was loaded (for status). */
  #indexedOps = 0;
  /** Filter results and the count, reused while the collection does not change. */
  readonly reads = new ReadCache(() => this.row.seq);
  /** Backpressure for writers, and whether this process indexes for those that only write (write-room.ts). */
  readonly room: WriteRoom;

  readonly #insertNice: number;

  constructor(row: CollectionRow, store: SqliteStore, writes: WriteLadder, dataDir: string, logger: Logger, insertNice: number) {
    this.#insertNice = insertNice;
    this.cid = row.cid;
    this.id = row.id;
    this.row = row;
    this.#store = store;
    this.#writes = writes;
    this.#logger = logger;
    this.#compaction = new GraphCompaction(logger, row.id);
    this.indexDir = indexDirOf(dataDir, row.id);
    this.room = new WriteRoom({
      indexDir: this.indexDir,
      readOnly: store.readOnly,
      loaded: () => this.#loaded,
      dimension: () => this.row.dimension ?? 0,
      progress: () => ({ seq: this.#syncedSeq, pending: this.pendingCount }),
      ensureLoaded: (scope) => this.ensureLoaded(scope),
      nudge: () => this.#scheduleIndexer(),
      stopping: () => this.#stopping,
    });
    this.#saves = new IndexSaves({
      id: this.id,
      indexDir: this.indexDir,
      logger,
      removals: this.#removals,
      stillIndex: () => this.#stillIndex(),
      seqToSave: () => Math.min(this.#syncedSeq, (this.#pending?.minSeq() ?? Infinity) - 1),
      trimLog: (seq) =>
        this.#writes.background("trimTombstones", TRIM_TIMEOUT_MS, () => this.#store.records.trimTombstones(this.cid, seq), (err) =>
          this.#logger.warn?.({ collection: this.id, err: err.message }, "could not trim the write log"),
        ),
    });
  }

  get hnsw(): HnswSettings {
    return this.row.configuration.hnsw;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get pendingCount(): number {
    return this.#pending?.size ?? 0;
  }

  get indexedCount(): number {
    return this.#index?.liveCount ?? 0;
  }

  #pendingFor(dimension: number): PendingVectors {
    return (this.#pending ??= new PendingVectors(this.hnsw.space, dimension));
  }

  /** Loads the persisted index and catches it up from the log; rebuilds when it is missing or damaged. */
  ensureLoaded(scope?: OperationScope): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    this.#loading ??= this.#load(scope).finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load(scope?: OperationScope): Promise<void> {
    const release = await this.lock.write(scope);
    try {
      if (!this.#loaded) await this.#loadLocked();
    } finally {
      release();
    }
  }

  /** Loads the index (holding the lock alone): from the row as SQLite has it now. */
  async #loadLocked(): Promise<void> {
    this.#compaction.resume(); // after a close
    const fresh = this.#store.catalog.collectionById(this.id);
    if (fresh) this.row = fresh;
    const seqAtStart = this.row.seq;
    this.#syncedSeq = seqAtStart;
    this.room.join();
    const dimension = this.row.dimension;
    if (dimension === null) {
      this.#loaded = true; // nothing written yet; the index is created with the first vector
      this.room.publish();
      return;
    }
    const params = this.#params(dimension);
    const pending = this.#pendingFor(dimension);
    const loaded = await loadIndex(this.#store, this.cid, this.indexDir, params, pending, this.#logger, this.id);
    const { index, savedSeq } = loaded;
    if (loaded.rebuilt) this.#saves.unsaved = Math.max(1, pending.size);
    this.#index = index;
    this.#saves.savedSeq = savedSeq;
    // Everything up to the seq read at the start is in; a newer saved graph holds more.
    this.#syncedSeq = Math.max(seqAtStart, savedSeq);
    this.#loaded = true;
    this.room.publish();
    this.#scheduleIndexer();
  }

  #params(dimension: number) {
    return { ...hnswParams(this.hnsw, dimension), insertNice: this.#insertNice };
  }

  /**
   * Applies a write committed by this process in memory: in the same tick as the commit, holding the
   * collection's lock. It moved the log from `fromSeq` to `toSeq`; when memory was not at `fromSeq`
   * (another process wrote in between), the next {@link catchUp} reads it all from the log instead.
   */
  applyCommitted(changes: VectorChange[], fromSeq: number, toSeq: number): void {
    if (!this.#loaded) {
      // The catch-up on load will read these from the log; until then another process may index them.
      this.room.wroteUnloaded(toSeq, changes.filter((c) => !("deleted" in c)).length);
      return;
    }
    if (fromSeq !== this.#syncedSeq) return;
    this.#apply(changes);
    this.#syncedSeq = toSeq;
    this.room.publish();
  }

  /** True when memory lacks changes SQLite has (another process wrote): the engine then calls catchUp. */
  get behind(): boolean {
    return this.#loaded && this.#syncedSeq < this.row.seq;
  }

  /**
   * Brings this state up to `row` (the collection as SQLite has it now, after another process wrote
   * or changed it): the row, and for a loaded index the log's changes since it was last in step. An
   * index older than the log's floor (its deletions were trimmed after another process saved) is
   * reloaded from the files instead. Holds the lock alone, so no query sees it half caught up.
   */
  async catchUp(row: CollectionRow, scope: OperationScope): Promise<void> {
    const release = await this.lock.write(scope);
    try {
      if (this.deleted) return;
      this.row = row;
      this.setEfSearch(row.configuration.hnsw.ef_search);
      if (!this.#loaded || this.#syncedSeq >= row.seq) return;
      if (this.#syncedSeq < this.#store.logFloor(this.cid)) {
        await this.#unload();
        await this.#loadLocked();
        return;
      }
      const target = row.seq;
      for await (const changes of logChangesAfter(this.#store, this.cid, this.#syncedSeq)) {
        scope.check();
        this.#apply(changes);
      }
      this.#syncedSeq = Math.max(this.#syncedSeq, target);
      this.room.publish();
    } finally {
      release();
    }
  }

  /** Drops the index from memory (stopping the indexer first), to load it again. */
  async #unload(): Promise<void> {
    this.#stopping = true;
    await this.#compaction.cancel(this.#index);
    if (this.#indexer) await this.#indexer;
    if (this.#saves.inFlight) await this.#saves.inFlight;
    this.#saves.unsaved = 0;
    this.#dropMemory();
    this.#stopping = false;
  }

  /** Forgets the graph and pending (nothing may be in flight) and leaves the indexer lease. */
  #dropMemory(): void {
    this.#index = null;
    this.#pending = null;
    this.#removals.clear();
    this.room.leave();
    this.#loaded = false;
  }

  #apply(changes: VectorChange[]): void {
    this.#compaction.record(changes);
    this.#applyToMemory(changes);
    this.#scheduleIndexer();
    this.#maybeCompact();
  }

  #applyToMemory(changes: VectorChange[]): void {
    const dimension = this.row.dimension;
    if (dimension === null) return;
    const pending = this.#pendingFor(dimension);
    for (const change of changes) {
      // A deleted or rewritten record's old vector must not answer queries any more.
      this.#removeFromGraph(change.rid);
      if ("deleted" in change) pending.delete(change.rid);
      else pending.set(change.rid, change.vector, change.seq);
    }
    if (this.#index === null && pending.size > 0) {
      this.#index = HnswIndex.create(this.#params(dimension), pending.size);
    }
  }

  /** Starts a compaction of the graph when it is due (see graph-compaction.ts) and nothing is in flight. */
  #maybeCompact(): void {
    const index = this.#index;
    // A save in flight counts from its call: it checks that the graph holds still before it writes.
    if (!index || this.#stopping || index.busy || this.#removals.batchInFlight || this.#saves.inFlight) return;
    if (index.liveCount === 0 && this.pendingCount > 0) return; // the next batch restarts the graph empty
    this.#compaction.startIfDue(index, () => this.#scheduleIndexer());
  }

  /** Switches to the compacted graph (nothing in flight) and re-applies what changed meanwhile. */
  #adoptCompacted(index: HnswIndex): void {
    const changes = this.#compaction.adopt(index, this.#pending, (rid) => this.#removeFromGraph(rid));
    this.#applyToMemory(changes);
    this.#saves.unsaved = Math.max(this.#saves.unsaved, 1);
  }

  #removeFromGraph(rid: number): void {
    if (this.#index && this.#removals.remove(this.#index, rid)) this.#saves.unsaved++;
  }

  /** Whether the indexer has work: pending vectors, or a compacted graph to adopt. */
  get #indexerHasWork(): boolean {
    return this.pendingCount > 0 || this.#compaction.built;
  }

  #scheduleIndexer(): void {
    if (this.#indexer || this.#stopping || !this.#indexerHasWork) return;
    this.#indexer = this.#runIndexer().finally(() => {
      this.#indexer = null;
      // A write may have arrived while the loop was finishing.
      if (this.#indexerHasWork && !this.#stopping) this.#scheduleIndexer();
    });
  }

  async #runIndexer(): Promise<void> {
    while (!this.#stopping && this.#indexerHasWork) {
      await yieldToEventLoop();
      if (this.#saves.inFlight) await this.#saves.inFlight;
      if (this.#stopping) return;
      const index = this.#index;
      if (index && this.#compaction.built) this.#adoptCompacted(index);
      const pending = this.#pending;
      if (!index || !pending || pending.size === 0) return;
      // A graph with nothing live restarts empty at the next batch (hnsw-index.ts): compacting it is moot.
      if (index.liveCount === 0 && this.#compaction.active) {
        await this.#compaction.cancel(index);
        continue;
      }
      // A batch that needs the graph to grow waits for the compaction (a resize would move what it reads).
      if (index.compacting && !index.fits(Math.min(this.#batchSize, pending.size))) {
        await this.#compaction.settled();
        continue;
      }
      const batch = pending.take(this.#batchSize);
      const started = performance.now();
      try {
        await this.#removals.inserting(batch.labels, () => index.add(batch.labels, batch.vectors, this.hnsw.space === "cosine"));
      } catch (err) {
        this.#logger.error?.({ collection: this.id, err: (err as Error).message }, "indexing failed");
        return;
      }
      if (this.#index !== index) return; // closed or reset meanwhile
      for (let i = 0; i < batch.labels.length; i++) {
        const rid = batch.labels[i]!;
        if (this.#removals.settle(index, rid)) continue; // removed while in flight
        if (pending.seqOf(rid) === batch.seqs[i]) pending.delete(rid);
      }
      this.#compaction.recordIndexed(batch);
      this.room.publish();
      this.#saves.unsaved += batch.labels.length;
      this.#indexedOps += batch.labels.length;
      // Aim the next batch at BATCH_MS from this one's rate.
      const ms = Math.max(0.1, performance.now() - started);
      this.#batchSize = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, (batch.labels.length * BATCH_MS) / ms)));
      this.#maybeCompact();
      // Not while compacting (the save would wait for it): after the switch.
      if (!this.#compaction.active) await this.#saves.saveIfDue(this.hnsw.sync_threshold, index.liveCount, pending.size === 0);
    }
  }

  /**
   * Waits until every committed vector is in the index and the index is saved. `onProgress` hears the
   * number of vectors still pending after each batch.
   */
  async waitForIndexing(scope?: OperationScope, onProgress?: (pending: number) => void): Promise<void> {
    await this.ensureLoaded(scope);
    // A compaction in progress counts: once it is adopted, the changes made meanwhile are pending again.
    while ((this.pendingCount > 0 || this.#compaction.active) && !this.#stopping) {
      scope?.check();
      this.#scheduleIndexer();
      onProgress?.(this.pendingCount);
      if (this.pendingCount > 0) await this.#nextBatch(scope);
      else await this.#compaction.settled(scope).then(() => yieldToEventLoop());
    }
    // The save the indexer starts when it drains is part of finishing: after it, nothing runs behind.
    if (this.#indexer) await this.#indexer;
    if (this.#saves.inFlight) await this.#saves.inFlight;
  }

  /** Resolves after the indexer's next batch, or at once when it is idle; bounded by the scope. */
  async #nextBatch(scope?: OperationScope): Promise<void> {
    const before = this.#indexedOps;
    while (this.#indexedOps === before && this.#indexer && !this.#stopping) {
      scope?.check();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (!this.#indexer) await yieldToEventLoop();
  }

  /** Persists the index (see index-saves.ts). */
  save(): Promise<void> {
    return this.#saves.save();
  }

  /** The graph once it may be written, or null when there is nothing to save. */
  async #stillIndex(): Promise<HnswIndex | null> {
    // Not while a batch is in flight: the graph must hold still while hnswlib writes it.
    // Nor while it is compacted (hnswlib reads it on other threads); the compacted graph is saved.
    while (this.#removals.batchInFlight || this.#index?.compacting) {
      await (this.#index?.compacting ? this.#compaction.settled() : yieldToEventLoop());
    }
    const index = this.#index;
    if (index && this.#compaction.built) this.#adoptCompacted(index);
    return index && !this.#store.readOnly && !this.deleted ? index : null;
  }

  /**
   * Stops the indexer, then saves what is indexed. With `finish`, first indexes what is pending (bounded
   * by the scope), so that the next open finds the folder indexed.
   */
  async close(opts: { save: boolean; finish?: { scope: OperationScope; onProgress?: (pending: number) => void } }): Promise<void> {
    await this.#compaction.stop(this.#index);
    if (opts.finish && this.#loaded) {
      try {
        await this.waitForIndexing(opts.finish.scope, opts.finish.onProgress);
      } catch {
        // Out of time: what is indexed is saved below, the rest is caught up on the next open.
      }
    }
    this.#stopping = true;
    if (this.#indexer) await this.#indexer;
    if (opts.save) {
      try {
        await this.save();
      } catch (err) {
        // The index is derived data: a failed save only means a longer catch-up on the next open.
        this.#logger.warn?.({ collection: this.id, err: (err as Error).message }, "could not save the vector index");
      }
    }
    if (this.#saves.inFlight) await this.#saves.inFlight;
    if (opts.save && this.#saves.trimming) await this.#saves.trimming;
    this.#dropMemory();
  }

  /** Approximate k-NN through HNSW with pending vectors scanned exactly (see merged-search.ts). */
  annSearch(query: Float32Array, k: number, allowed: RidSet | undefined): Scored[] {
    return annSearch(this.#index, this.#pending, this.#removals.hidden, query, k, allowed);
  }

  /** Exact k-NN over `candidates` (sorted rowids of live records): pending vectors and the graph's. */
  exactSearch(queries: Float32Array[], k: number, candidates: readonly number[]): Scored[][] {
    return exactSearch(this.#index, this.#pending, queries, k, candidates);
  }

  /**
   * Number of vectors an unfiltered ANN search can reach (index + pending). For the instant between a
   * batch landing and its rows leaving pending, they count twice: callers use it only to size a search.
   */
  get searchableCount(): number {
    return (this.#index?.liveCount ?? 0) + this.pendingCount;
  }

  setEfSearch(ef: number): void {
    this.#index?.setEfSearch(ef);
  }
}
