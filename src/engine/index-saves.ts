/**
 * Persisting one collection's vector index: one save at a time (overlapping saves would write the
 * same generation's files and break each other's renames), each followed by a trim of the write log
 * up to the seq the files now hold. The index is derived data: a save that fails or is skipped only
 * means a longer catch-up on the next open.
 */
import type { Logger } from "../logger.js";
import type { HnswIndex } from "../vector/hnsw-index.js";
import type { GraphRemovals } from "./graph-removals.js";

/** How long the write log's trim after a save may wait for SQLite's write lock. */
export const TRIM_TIMEOUT_MS = 1000;

/** What a save needs from the collection it saves. */
export interface SaveHost {
  readonly id: string;
  readonly indexDir: string;
  readonly logger: Logger;
  readonly removals: GraphRemovals;
  /** Waits until the graph may be written (no batch or compaction in flight) and returns it, or null when nothing is to be saved. */
  stillIndex(): Promise<HnswIndex | null>;
  /** The seq the files hold once saved: every change up to it is in the graph. */
  seqToSave(): number;
  /** Trims the write log up to `seq`, in the background. */
  trimLog(seq: number): Promise<void>;
}

export class IndexSaves {
  /** Changes to the graph since the last save. */
  unsaved = 0;
  savedSeq = 0;
  /** The save in flight (never rejects). */
  #saving: Promise<void> | null = null;
  /** The trim of the write log after the last save, while it waits for the write mutex. */
  #trimming: Promise<void> | null = null;
  readonly #host: SaveHost;

  constructor(host: SaveHost) {
    this.#host = host;
  }

  /** The save in flight, if any (never rejects). */
  get inFlight(): Promise<void> | null {
    return this.#saving;
  }

  /** The write log's trim after the last save, while it runs. */
  get trimming(): Promise<void> | null {
    return this.#trimming;
  }

  /**
   * Persists the index, after any save in flight. Everything up to the seq it records is in the
   * files: the last committed seq when nothing is pending, else just below the oldest pending vector.
   */
  save(): Promise<void> {
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

  /**
   * The indexer's own saves, after a batch. During a long import, one each time the index has
   * doubled: a save writes the whole graph and holds the indexer, and a crash costs at most a
   * catch-up of half the index. A failure is logged, not thrown: no caller awaits the indexer, and
   * the index is derived data, so it only means a longer catch-up on the next open.
   */
  async saveIfDue(threshold: number, live: number, drained: boolean): Promise<void> {
    const unsaved = this.unsaved;
    if (unsaved < threshold || !(drained || unsaved >= Math.max(live, 10_000))) return;
    try {
      await this.save();
    } catch (err) {
      this.#host.logger.warn?.({ collection: this.#host.id, err: (err as Error).message }, "could not save the vector index");
    }
  }

  async #saveNow(): Promise<void> {
    const host = this.#host;
    const index = await host.stillIndex();
    if (!index || this.unsaved === 0) return;
    const seq = host.seqToSave();
    const unsavedBefore = this.unsaved;
    const started = performance.now();
    const outcome = await host.removals.writingFiles(index, () => index.save(host.indexDir, seq), () => void this.unsaved++);
    if ("skipped" in outcome) {
      // Another process is saving (try again later), or has saved as far or further (nothing to add).
      if (outcome.skipped === "newer") this.unsaved -= unsavedBefore;
      return;
    }
    this.unsaved -= unsavedBefore;
    this.savedSeq = seq;
    // Not awaited by the save: a reset holds the write mutex while it waits for the indexer.
    const trim = host.trimLog(seq).finally(() => {
      if (this.#trimming === trim) this.#trimming = null;
    });
    this.#trimming = trim;
    host.logger.debug?.(
      { collection: host.id, seq, vectors: index.liveCount, ms: Math.round(performance.now() - started) },
      "vector index saved",
    );
  }
}
