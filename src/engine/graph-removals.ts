/**
 * Removing records' vectors from the HNSW graph when the graph may not change at once: while an
 * insert batch holding the label is in flight (hnswlib may add it after the removal), or while a save
 * writes the files (they must stay as they were when the save began; the log replays the removal).
 * Such a label is hidden from answers until it can be removed.
 */
import type { HnswIndex } from "../vector/hnsw-index.js";

export class GraphRemovals {
  /** Labels the graph may still hold but must not answer with. */
  readonly hidden = new Set<number>();
  /** The labels of the insert batch in flight, while one is. */
  #inflight: ReadonlySet<number> | null = null;
  /** Removals that arrived while a save was writing the files; applied when it ends. */
  #deferred: number[] = [];
  #writingFiles = false;

  get batchInFlight(): boolean {
    return this.#inflight !== null;
  }

  /** Removes `rid` from the graph, now or as soon as it may; true when the graph changed now. */
  remove(index: HnswIndex, rid: number): boolean {
    if (!index.has(rid) && !this.#inflight?.has(rid)) return false;
    if (this.#writingFiles) {
      this.hidden.add(rid);
      this.#deferred.push(rid);
      return false;
    }
    if (this.#inflight?.has(rid)) this.hidden.add(rid); // removed again once its batch is in
    return index.remove(rid);
  }

  /** Runs the insert of a batch of `labels`, which removals then wait for. */
  async inserting(labels: readonly number[] | Float64Array, add: () => Promise<void>): Promise<void> {
    this.#inflight = new Set(labels);
    try {
      await add();
    } finally {
      this.#inflight = null;
    }
  }

  /** After its batch landed: true (and removed from the graph again) when `rid` was removed while in flight. */
  settle(index: HnswIndex, rid: number): boolean {
    if (!this.hidden.delete(rid)) return false;
    index.remove(rid);
    return true;
  }

  /** Runs a save that writes the files, then the removals deferred meanwhile (`removed` hears each that changed the graph). */
  async writingFiles<T>(index: HnswIndex, write: () => Promise<T>, removed: () => void): Promise<T> {
    this.#writingFiles = true;
    try {
      return await write();
    } finally {
      this.#writingFiles = false;
      const deferred = this.#deferred;
      this.#deferred = [];
      for (const rid of deferred) {
        this.hidden.delete(rid);
        if (index.remove(rid)) removed();
      }
    }
  }

  clear(): void {
    this.hidden.clear();
    this.#deferred = [];
  }
}
