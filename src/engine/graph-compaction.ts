/**
 * Reclaiming the HNSW graph's dead elements. A rewritten vector gets a new element and a deleted
 * record's stays, marked (native/vector_index.cc says why), so the graph grows with every rewrite and
 * deletion. Once dead elements are as many as live ones, a graph of the live ones alone is built on
 * background threads while the old one keeps answering and taking inserts; the changes made
 * meanwhile are recorded, and re-applied after the switch (they go back through pending, which
 * queries scan exactly, so no answer misses them).
 */
import type { Logger } from "../logger.js";
import type { HnswIndex } from "../vector/hnsw-index.js";
import type { PendingVectors } from "../vector/pending.js";
import type { OperationScope } from "../util/abort.js";

/** The shape of a vector change; collection-state.ts's VectorChange. */
type Change = { rid: number; seq: number; vector: Float32Array } | { rid: number; seq: number; deleted: true };
/** An insert batch as pending.take gives it (vectors as pending keeps them). */
export interface IndexedBatch {
  labels: Float64Array;
  seqs: Float64Array;
  vectors: Float32Array;
}

/** How often a wait for a compaction checks its scope. */
const POLL_MS = 5;

export class GraphCompaction {
  /** The changes made since the compaction in progress began (null: none in progress). */
  #changes: Change[] | null = null;
  /** The batches inserted into the old graph since then: vectors pending held when it began, among others. */
  #indexed: IndexedBatch[] = [];
  #running: Promise<void> | null = null;
  #built = false;
  /** Set by {@link stop}: no compaction starts until {@link resume}. */
  #stopped = false;
  /** After a failed compaction, the next waits until the dead elements have doubled. */
  #retryAtDead = 0;
  readonly #logger: Logger;
  readonly #collection: string;

  constructor(logger: Logger, collection: string) {
    this.#logger = logger;
    this.#collection = collection;
  }

  /**
   * Starts compacting `index` (not busy) when its dead elements are as many as its live ones, however
   * few, and no compaction is in progress; `done` hears when the graph is built or the attempt ended.
   * No floor: hnswlib links a new point to live points alone, so among many dead ones it may be left
   * unreachable (measured: a graph of 20 live and 380 dead elements, then 2,000 upserts, lost a record
   * in 13 of 200 trials with a floor of 1,000 dead, in none without); and a rebuild of few live ones
   * costs little.
   */
  startIfDue(index: HnswIndex, done: () => void): void {
    const dead = index.deadCount;
    if (this.active || this.#stopped || dead === 0 || dead < Math.max(index.liveCount, this.#retryAtDead)) return;
    this.#start(index, done);
  }

  /** True from the start of a compaction until its graph is adopted (or it failed). */
  get active(): boolean {
    return this.#changes !== null;
  }

  /** True when a compacted graph waits to be adopted. */
  get built(): boolean {
    return this.#built;
  }

  #start(index: HnswIndex, done: () => void): void {
    const changes: Change[] = [];
    this.#changes = changes;
    this.#indexed = [];
    this.#built = false;
    const dead = index.deadCount;
    const started = performance.now();
    this.#running = index
      .compact()
      .then(
        () => {
          if (this.#changes !== changes) return; // cancelled meanwhile
          this.#built = true;
          this.#retryAtDead = 0;
          this.#logger.debug?.(
            { collection: this.#collection, dead, live: index.liveCount, ms: Math.round(performance.now() - started) },
            "vector index compacted",
          );
        },
        (err: Error) => {
          if (this.#changes === changes) this.#changes = null;
          if (!/cancelled/.test(err.message)) {
            this.#retryAtDead = 2 * dead;
            this.#logger.warn?.({ collection: this.#collection, err: err.message }, "could not compact the vector index");
          }
        },
      )
      .finally(() => {
        this.#running = null;
        done();
      });
  }

  /** Notes changes applied in memory while a compaction is in progress. */
  record(changes: readonly Change[]): void {
    if (this.#changes) for (const change of changes) this.#changes.push(change);
  }

  /** Notes a batch inserted into the old graph while a compaction is in progress. */
  recordIndexed(batch: IndexedBatch): void {
    if (this.#changes) this.#indexed.push(batch);
  }

  /**
   * Switches `index` to the compacted graph (no batch or save in flight). What the old graph took
   * since the compaction began must then be re-applied to the new one: the batches inserted go back
   * into `pending` here (their labels `remove`d from the new graph), and the changes made meanwhile
   * are returned for the caller to apply after, in order.
   */
  adopt(index: HnswIndex, pending: PendingVectors | null, remove: (rid: number) => void): Change[] {
    const indexed = this.#indexed;
    const changes = this.#changes ?? [];
    this.#forget();
    index.adoptCompacted();
    const d = index.params.dimension;
    for (const batch of indexed) {
      for (let i = 0; i < batch.labels.length; i++) {
        const rid = batch.labels[i]!;
        const seq = batch.seqs[i]!;
        remove(rid);
        if (pending && (pending.seqOf(rid) ?? -1) < seq) pending.set(rid, batch.vectors.subarray(i * d, (i + 1) * d), seq, true);
      }
    }
    return changes;
  }

  #forget(): void {
    this.#changes = null;
    this.#indexed = [];
    this.#built = false;
  }

  /** Waits until no compaction is running, bounded by `scope`. */
  async settled(scope?: OperationScope): Promise<void> {
    while (this.#running) {
      scope?.check();
      await Promise.race([this.#running, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
    }
  }

  /**
   * Cancels any compaction and starts none until {@link resume}: a close need not wait for one (it
   * is upkeep; the old graph holds everything).
   */
  async stop(index: HnswIndex | null): Promise<void> {
    this.#stopped = true;
    await this.cancel(index);
  }

  resume(): void {
    this.#stopped = false;
  }

  /** Stops a compaction in progress and forgets it (the old graph stays). */
  async cancel(index: HnswIndex | null): Promise<void> {
    this.#forget();
    if (this.#running) {
      index?.cancelCompaction();
      await this.#running;
    }
  }
}
