/**
 * The in-memory side of one collection: its lock, its vector index and the vectors committed to
 * SQLite but not yet in the index ("pending"). Writes commit to SQLite and hand their vectors to
 * pending in the same tick; a background indexer moves them into HNSW in short slices; queries
 * search the index and scan pending exactly, so a query always sees every committed write.
 */
import path from "node:path";
import type { Logger } from "../logger.js";
import type { HnswSettings } from "../model/collection.js";
import { HnswIndex } from "../index/hnsw-index.js";
import { CorruptionError } from "../errors.js";
import type { CollectionRow, SqliteStore } from "../store/sqlite-store.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import { ReadWriteLock } from "../util/lock.js";
import { queryDistance, TopK, type Scored } from "./distance.js";
import type { RidSet } from "./rid-set.js";

interface PendingVector {
  vector: Float32Array;
  seq: number;
}

/** A vector change committed to SQLite, to be applied in memory. */
export type VectorChange = { rid: number; seq: number; vector: Float32Array } | { rid: number; seq: number; deleted: true };

// Work slices are short because several kinds (indexing, text indexing, a write) can share one
// turn of the event loop; together they must stay well under 50 ms.
const SLICE_MS = 6;
/** Upper bound of the per-collection cache of float32 vectors used by exact scans. */
const VECTOR_CACHE_BYTES = 512 << 20;
/**
 * Backpressure: above this many bytes of vectors waiting for the indexer, writers wait until the
 * indexer has brought it down to half, so a long import cannot grow memory without bound.
 */
const PENDING_HIGH_BYTES = 384 << 20;
/** Upper bound of the per-collection cache of filter results (rowid sets). */
const FILTER_CACHE_BYTES = 32 << 20;

export class CollectionState {
  readonly cid: number;
  readonly id: string;
  readonly lock = new ReadWriteLock();
  readonly indexDir: string;
  row: CollectionRow;
  /** Set when the collection was deleted; operations that waited on its lock then fail. */
  deleted = false;

  #store: SqliteStore;
  #logger: Logger;
  #index: HnswIndex | null = null;
  readonly #pending = new Map<number, PendingVector>();
  #loaded = false;
  #loading: Promise<void> | null = null;
  #savedSeq = 0;
  #unsaved = 0;
  #indexer: Promise<void> | null = null;
  /** The save in flight (never rejects); saves run one at a time. */
  #saving: Promise<void> | null = null;
  #stopping = false;
  /** Vectors indexed since the collection was loaded (for status). */
  #indexedOps = 0;
  /**
   * Committed vectors kept in memory for exact scans (filtered queries, small collections), so they
   * do not re-read SQLite. Filled by writes, the indexer and scans; bounded by VECTOR_CACHE_BYTES.
   */
  readonly #vectors = new Map<number, Float32Array>();
  #vectorBytes = 0;
  /**
   * Results of recent filters, valid while the collection's sequence number is unchanged: apps tend
   * to repeat the same filter (a user, a tenant, a category) across many queries.
   */
  readonly #filters = new Map<string, RidSet>();
  #filtersSeq = -1;
  #filterBytes = 0;

  constructor(row: CollectionRow, store: SqliteStore, dataDir: string, logger: Logger) {
    this.cid = row.cid;
    this.id = row.id;
    this.row = row;
    this.#store = store;
    this.#logger = logger;
    this.indexDir = path.join(dataDir, "index", row.id);
  }

  get hnsw(): HnswSettings {
    return this.row.configuration.hnsw;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get indexedCount(): number {
    return this.#index?.liveCount ?? 0;
  }

  get indexedOps(): number {
    return this.#indexedOps;
  }

  /** A cached filter result, if the collection has not changed since it was computed. */
  cachedFilter(key: string): RidSet | undefined {
    if (this.#filtersSeq !== this.row.seq) return undefined;
    const hit = this.#filters.get(key);
    if (hit) {
      // Refresh its position: the map is kept in least-recently-used order.
      this.#filters.delete(key);
      this.#filters.set(key, hit);
    }
    return hit;
  }

  cacheFilter(key: string, rids: RidSet): void {
    if (this.#filtersSeq !== this.row.seq) {
      this.#filters.clear();
      this.#filterBytes = 0;
      this.#filtersSeq = this.row.seq;
    }
    if (rids.bytes > FILTER_CACHE_BYTES / 4) return;
    while (this.#filterBytes + rids.bytes > FILTER_CACHE_BYTES && this.#filters.size > 0) {
      const [oldest, set] = this.#filters.entries().next().value as [string, RidSet];
      this.#filters.delete(oldest);
      this.#filterBytes -= set.bytes;
    }
    this.#filters.set(key, rids);
    this.#filterBytes += rids.bytes;
  }

  /** The cached vector of a record, if it is in memory. */
  cachedVector(rid: number): Float32Array | undefined {
    return this.#vectors.get(rid) ?? this.#pending.get(rid)?.vector;
  }

  cacheVector(rid: number, vector: Float32Array): void {
    const old = this.#vectors.get(rid);
    if (old) {
      this.#vectors.set(rid, vector);
      return;
    }
    if (this.#vectorBytes + vector.byteLength > VECTOR_CACHE_BYTES) return;
    this.#vectors.set(rid, vector);
    this.#vectorBytes += vector.byteLength;
  }

  #uncacheVector(rid: number): void {
    const old = this.#vectors.get(rid);
    if (!old) return;
    this.#vectors.delete(rid);
    this.#vectorBytes -= old.byteLength;
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
      if (this.#loaded) return;
      const dimension = this.row.dimension;
      if (dimension === null) {
        this.#loaded = true; // nothing written yet; the index is created with the first vector
        return;
      }
      const params = this.#params(dimension);
      let index: HnswIndex | null = null;
      let savedSeq = 0;
      try {
        const manifest = await HnswIndex.readManifest(this.indexDir);
        if (manifest) {
          index = await HnswIndex.load(this.indexDir, manifest, params);
          savedSeq = manifest.seq;
        }
      } catch (err) {
        this.#logger.warn?.({ collection: this.id, err: (err as Error).message }, "vector index damaged; rebuilding from SQLite");
        index = null;
      }
      if (index) {
        // Catch up: drop what was deleted or rewritten since the save, then queue newer vectors.
        for (const rid of this.#store.tombstonesAfter(this.cid, savedSeq)) index.remove(rid);
        let after = 0;
        for (;;) {
          const page = this.#store.embeddingPage(this.cid, after, 2000, savedSeq);
          if (page.length === 0) break;
          for (const [rid, seq, vector] of page) {
            index.remove(rid);
            this.#pending.set(rid, { vector, seq });
          }
          after = page[page.length - 1]![0];
          await yieldToEventLoop();
        }
        const expected = this.#store.countVectorsUpTo(this.cid, savedSeq);
        if (index.liveCount !== expected) {
          this.#logger.warn?.(
            { collection: this.id, indexed: index.liveCount, expected },
            "vector index disagrees with SQLite; rebuilding",
          );
          this.#pending.clear();
          index = null;
        }
      }
      if (!index) {
        index = HnswIndex.create(params, this.#store.countRecords(this.cid));
        savedSeq = 0;
        let after = 0;
        for (;;) {
          const page = this.#store.embeddingPage(this.cid, after, 2000);
          if (page.length === 0) break;
          for (const [rid, seq, vector] of page) this.#pending.set(rid, { vector, seq });
          after = page[page.length - 1]![0];
          await yieldToEventLoop();
        }
        this.#unsaved = Math.max(1, this.#pending.size);
      }
      this.#index = index;
      this.#savedSeq = savedSeq;
      this.#loaded = true;
      this.#scheduleIndexer();
    } finally {
      release();
    }
  }

  #params(dimension: number) {
    const h = this.hnsw;
    return {
      space: h.space,
      dimension,
      maxNeighbors: h.max_neighbors,
      efConstruction: h.ef_construction,
      efSearch: h.ef_search,
      resizeFactor: h.resize_factor,
    };
  }

  /** Applies committed changes in memory. Call in the same tick as the commit, holding the write lock. */
  applyCommitted(changes: VectorChange[]): void {
    if (!this.#loaded) return; // not loaded: the catch-up on load will read these from the log
    for (const change of changes) {
      if ("deleted" in change) {
        this.#pending.delete(change.rid);
        this.#uncacheVector(change.rid);
        if (this.#index?.has(change.rid)) {
          this.#index.remove(change.rid);
          this.#unsaved++;
        }
      } else {
        if (this.#index?.has(change.rid)) {
          this.#index.remove(change.rid); // its old vector must not answer queries any more
          this.#unsaved++;
        }
        // Re-insert so the map keeps seq order (the indexer drains oldest first).
        this.#uncacheVector(change.rid);
        this.#pending.delete(change.rid);
        this.#pending.set(change.rid, { vector: change.vector, seq: change.seq });
      }
    }
    if (this.#index === null && this.row.dimension !== null && this.#pending.size > 0) {
      this.#index = HnswIndex.create(this.#params(this.row.dimension), this.#pending.size);
    }
    this.#scheduleIndexer();
  }

  #scheduleIndexer(): void {
    if (this.#indexer || this.#stopping || this.#pending.size === 0) return;
    this.#indexer = this.#runIndexer().finally(() => {
      this.#indexer = null;
      // A write may have arrived while the loop was finishing.
      if (this.#pending.size > 0 && !this.#stopping) this.#scheduleIndexer();
    });
  }

  async #runIndexer(): Promise<void> {
    while (!this.#stopping && this.#pending.size > 0) {
      await yieldToEventLoop();
      if (this.#stopping) return;
      const release = await this.lock.write();
      try {
        const index = this.#index;
        if (!index) return;
        const deadline = performance.now() + SLICE_MS;
        let done = 0;
        for (const [rid, entry] of this.#pending) {
          index.upsert(rid, entry.vector);
          this.#pending.delete(rid);
          this.cacheVector(rid, entry.vector);
          done++;
          if ((done & 7) === 0 && performance.now() >= deadline) break;
        }
        this.#unsaved += done;
        this.#indexedOps += done;
      } catch (err) {
        this.#logger.error?.({ collection: this.id, err: (err as Error).message }, "indexing failed");
        return;
      } finally {
        release();
      }
      const live = this.#index?.liveCount ?? 0;
      const drained = this.#pending.size === 0;
      if (this.#unsaved >= this.hnsw.sync_threshold && (drained || this.#unsaved >= Math.max(live / 2, 10_000))) {
        try {
          await this.save();
        } catch (err) {
          // Nothing awaits the indexer's own saves: a rejection here would be unhandled. The index is
          // derived data, so a failed save only means a longer catch-up on the next open.
          this.#logger.warn?.({ collection: this.id, err: (err as Error).message }, "could not save the vector index");
        }
      }
    }
  }

  /** Waits while too many vectors are waiting for the indexer (see PENDING_HIGH_BYTES). */
  async admitWrite(scope: OperationScope): Promise<void> {
    if (this.#pendingBytes() <= PENDING_HIGH_BYTES) return;
    while (this.#pendingBytes() > PENDING_HIGH_BYTES / 2 && !this.#stopping) {
      scope.check();
      this.#scheduleIndexer();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #pendingBytes(): number {
    const dimension = this.row.dimension ?? 0;
    return this.#pending.size * dimension * 4;
  }

  /** Waits until every committed vector is in the index and the index is saved. */
  async waitForIndexing(scope?: OperationScope): Promise<void> {
    await this.ensureLoaded(scope);
    while (this.#pending.size > 0 && !this.#stopping) {
      scope?.check();
      this.#scheduleIndexer();
      if (this.#indexer) await this.#indexer;
      else await yieldToEventLoop();
    }
    // The save the indexer starts when it drains is part of finishing: after it, nothing runs behind.
    if (this.#indexer) await this.#indexer;
    if (this.#saving) await this.#saving;
  }

  /**
   * Persists the index. Everything up to the returned sequence number is in the files: the last
   * committed seq when nothing is pending, else just below the oldest pending vector.
   */
  save(): Promise<void> {
    // One save at a time: overlapping saves (flush() during a background save) would write the same
    // generation's files and break each other's renames.
    const run = (this.#saving ?? Promise.resolve()).then(() => this.#saveNow());
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#saving = settled;
    void settled.then(() => {
      if (this.#saving === settled) this.#saving = null;
    });
    return run;
  }

  async #saveNow(): Promise<void> {
    const index = this.#index;
    if (!index || this.#unsaved === 0) return;
    // A read lock: queries go on, writes and the indexer wait while hnswlib writes the file.
    const release = await this.lock.read();
    try {
      let seq = this.row.seq;
      for (const entry of this.#pending.values()) seq = Math.min(seq, entry.seq - 1);
      const unsavedBefore = this.#unsaved;
      const started = performance.now();
      await index.save(this.indexDir, seq);
      this.#unsaved -= unsavedBefore;
      this.#savedSeq = seq;
      this.#store.trimTombstones(this.cid, seq);
      this.#logger.debug?.(
        { collection: this.id, seq, vectors: index.liveCount, ms: Math.round(performance.now() - started) },
        "vector index saved",
      );
    } finally {
      release();
    }
  }

  get savedSeq(): number {
    return this.#savedSeq;
  }

  get unsavedChanges(): number {
    return this.#unsaved;
  }

  /** Stops the indexer, then saves what is indexed. */
  async close(opts: { save: boolean }): Promise<void> {
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
    this.#index = null;
    this.#pending.clear();
    this.#vectors.clear();
    this.#vectorBytes = 0;
    this.#loaded = false;
  }

  /**
   * Approximate k-NN through HNSW, with an exact scan of pending vectors merged in. `allowed` (sorted
   * rowids) restricts the candidates. Returns fewer than k only when fewer exist in the index + pending.
   */
  annSearch(query: Float32Array, k: number, allowed: RidSet | undefined): Scored[] {
    const top = new TopK(k);
    const index = this.#index;
    if (index && index.liveCount > 0) {
      const filter = allowed ? (label: number) => allowed.has(label) : undefined;
      const hit = index.search(query, k, filter);
      for (let i = 0; i < hit.labels.length; i++) top.push(hit.labels[i]!, Math.fround(hit.distances[i]!));
    }
    if (this.#pending.size > 0) {
      const distance = queryDistance(this.hnsw.space, query);
      for (const [rid, entry] of this.#pending) {
        if (allowed && !allowed.has(rid)) continue;
        top.push(rid, distance(entry.vector));
      }
    }
    return top.sorted();
  }

  /** Number of vectors an unfiltered ANN search can reach (index + pending). */
  get searchableCount(): number {
    return (this.#index?.liveCount ?? 0) + this.#pending.size;
  }

  setEfSearch(ef: number): void {
    this.#index?.setEfSearch(ef);
  }

  assertConsistent(): void {
    const records = this.#store.countRecords(this.cid);
    if (this.#loaded && this.row.dimension !== null && this.searchableCount !== records) {
      throw new CorruptionError(
        `collection ${this.id}: index + pending hold ${this.searchableCount} vectors, SQLite holds ${records}`,
      );
    }
  }
}
