/**
 * The write ladder: the one way anything is written to a folder. A write to a collection climbs it
 * in this order and no other: the collection's lock, then (the collection still live) the folder's
 * write mutex, then one SQLite transaction, committed whole or rolled back whole. Taking the mutex
 * before a collection lock would deadlock against a writer waiting for that lock while it holds the
 * mutex; so only this file takes them. Work that is not about one collection (the catalog, text
 * indexing, reset) starts at the mutex.
 *
 * Record writes hold the collection's lock shared, as queries do: queries read SQLite through the
 * store's read-only connection, which sees only committed data, so they need not wait for a write
 * in progress (the mutex still orders the writes). Changes to the collection itself (delete, modify)
 * hold it alone.
 *
 * What the engine keeps in memory about committed data (sequence numbers, pending vectors) is updated
 * in `afterCommit` callbacks: in the tick of the commit, still under the locks, so no reader sees SQLite
 * and memory disagree. Written bytes are counted towards a background WAL checkpoint, and towards
 * the WAL's restart (WAL_RESTART_BYTES).
 */
import { NotFoundError, ReadOnlyError } from "../errors.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { OperationScope, raceScope, yieldToEventLoop } from "../util/abort.js";
import { Mutex } from "../util/lock.js";
import type { CollectionState } from "./collection-state.js";

/** The WAL is checkpointed in the background after about this many bytes of writes. */
const CHECKPOINT_BYTES = 8 << 20;
/**
 * SQLite writes the WAL from its start again only when a write begins with the whole WAL already in
 * the database. Under a steady stream of writes the background checkpoints never catch up with the
 * head, so the WAL grew without end: 426 MB (more than the database) by the end of a 100k x 384 import,
 * disk used twice, every page read looking through a larger WAL index, and a long recovery after a
 * crash. So after about this many bytes of writes the next writer, holding the mutex, first waits for
 * a checkpoint of everything committed that also empties the WAL file (the rest since the last
 * background one: tens of ms, the event loop free meanwhile), and its commit then restarts the WAL.
 */
const WAL_RESTART_BYTES = 16 << 20;

/** What the work inside a transaction can ask of it. */
export interface WriteTransaction {
  /** Runs `fn` right after the commit, in the same tick (never when the transaction rolls back). */
  afterCommit(fn: () => void): void;
  /** Counts bytes written, towards the next background checkpoint. */
  wrote(bytes: number): void;
}

export class WriteLadder {
  readonly #store: SqliteStore;
  /** One SQLite write transaction at a time. */
  readonly #mutex = new Mutex();
  #bytesSinceCheckpoint = 0;
  #bytesSinceRestart = 0;

  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /** Runs `fn` holding the write mutex, without a transaction of ours (reset: the store makes its own). */
  async exclusive<T>(scope: OperationScope, fn: () => Promise<T> | T): Promise<T> {
    if (this.#store.readOnly) throw new ReadOnlyError("This client was opened with readOnly: true; it cannot write");
    const waited = this.#mutex.busy > 0;
    const release = await this.#mutex.acquire(scope);
    try {
      // Handed over by the writer before, in a microtask: let the event loop turn first, or a queue of
      // writers would run back to back and hold reads, timers and I/O off for the whole queue.
      if (waited) await yieldToEventLoop();
      return await fn();
    } finally {
      release();
    }
  }

  /** Runs `fn` holding the write mutex, in one write transaction (rolled back if `fn` throws). */
  transaction<T>(scope: OperationScope, fn: (tx: WriteTransaction) => Promise<T> | T): Promise<T> {
    return this.exclusive(scope, async () => {
      const committed: (() => void)[] = [];
      let bytes = 0;
      const tx: WriteTransaction = {
        afterCommit: (callback) => void committed.push(callback),
        wrote: (n) => void (bytes += n),
      };
      const store = this.#store;
      if (this.#bytesSinceRestart >= WAL_RESTART_BYTES) {
        // Best effort: another process reading an old snapshot can keep the WAL; tried again later.
        this.#bytesSinceRestart = 0;
        await raceScope(store.checkpointNow(), scope);
      }
      await store.begin(scope);
      let result: T;
      try {
        result = await fn(tx);
        store.commit();
      } catch (err) {
        store.rollback();
        throw err;
      }
      for (const callback of committed) callback();
      this.#count(bytes);
      return result;
    });
  }

  /**
   * A small write nobody waits for (the log's trim after a save): one transaction bounded by
   * `timeoutMs` (another process may hold SQLite's write lock for long, and close waits for it),
   * whose failure is only reported to `onError`: it is put off, not lost.
   */
  background(name: string, timeoutMs: number, fn: () => void, onError: (err: Error) => void): Promise<void> {
    const scope = new OperationScope(name, undefined, timeoutMs);
    return this.transaction(scope, fn)
      .catch((err: unknown) => onError(err as Error))
      .finally(() => scope.dispose());
  }

  /**
   * The whole ladder for one collection: its lock (shared for `records` writes, alone for changes to
   * the collection itself), a check that it still exists (it may have been deleted while this call
   * waited), then {@link transaction}.
   */
  async collection<T>(
    state: CollectionState,
    scope: OperationScope,
    fn: (tx: WriteTransaction) => Promise<T> | T,
    what: "records" | "collection" = "collection",
  ): Promise<T> {
    const release = await (what === "records" ? state.lock.read(scope) : state.lock.write(scope));
    try {
      if (state.deleted) throw new NotFoundError(`Collection [${state.id}] does not exist`);
      return await this.transaction(scope, fn);
    } finally {
      release();
    }
  }

  #count(bytes: number): void {
    this.#bytesSinceRestart += bytes;
    this.#bytesSinceCheckpoint += bytes;
    if (this.#bytesSinceCheckpoint < CHECKPOINT_BYTES) return;
    this.#bytesSinceCheckpoint = 0;
    this.#store.requestCheckpoint();
  }
}
