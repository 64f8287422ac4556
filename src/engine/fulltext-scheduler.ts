/**
 * When documents get into the full-text indexes. Writes only queue them (store/fulltext/queue.ts);
 * this drains the queue in the background, one short transaction per engine operation slot so that
 * other calls (and close) interleave, and backfills folders from before the indexes the same way. A
 * BM25 search first finishes its own collection, since BM25 ranks over all of it.
 */
import type { Logger } from "../logger.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { bm25TermIds, splitAtWhitespace } from "../text/bm25.js";
import type { CallOptions } from "../types.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import type { WriteLadder } from "./write-ladder.js";

/** Documents of at least this many characters are tokenized ahead of their indexing, in slices. */
const LARGE_DOCUMENT_CHARS = 64 * 1024;
/** Work per background transaction, in ms (its commit adds a few more). */
const SLICE_MS = 4;

/** Where background slices run: as operations of the engine, so that close waits for them. */
export interface OperationRunner {
  readonly closed: boolean;
  run<T>(name: string, call: CallOptions | undefined, fn: (scope: OperationScope) => Promise<T> | T): Promise<T>;
}

export class FullTextScheduler {
  readonly #store: SqliteStore;
  readonly #writes: WriteLadder;
  readonly #runner: OperationRunner;
  readonly #logger: Logger;
  /** The background drain loop, while it runs. */
  #draining: Promise<void> | null = null;

  constructor(store: SqliteStore, writes: WriteLadder, runner: OperationRunner, logger: Logger) {
    this.#store = store;
    this.#writes = writes;
    this.#runner = runner;
    this.#logger = logger;
  }

  /**
   * Starts the background work an opened folder may have: a folder from before the full-text indexes
   * gets them built, and documents queued before a crash or close are indexed.
   */
  start(): void {
    this.#backfill();
    this.scheduleDrain();
  }

  /** Runs the queue drain in the background, unless it runs already (after every write). */
  scheduleDrain(): void {
    if (this.#draining || this.#runner.closed) return;
    this.#draining = (async () => {
      while (!this.#runner.closed && this.#store.hasQueuedText()) {
        await this.#runner.run("indexFullText", { timeout: 0 }, (scope) => this.#drainSlice(scope));
      }
    })()
      .catch((err: unknown) => {
        if (!this.#runner.closed) this.#logger.warn?.({ err }, "full-text indexing stopped; the next write resumes it");
      })
      .finally(() => {
        this.#draining = null;
      });
  }

  /** Brings a collection's text indexes up to date (backfill and queue) before BM25 ranks it. */
  async complete(cid: number, scope: OperationScope): Promise<void> {
    while (!this.#store.textReady(cid)) await this.#backfillSlice(cid, scope);
    await this.drain(cid, scope);
  }

  /** Indexes what writes queued for a collection. */
  async drain(cid: number, scope: OperationScope): Promise<void> {
    while (this.#store.hasQueuedText(cid)) await this.#drainSlice(scope);
  }

  /** Records of the collection waiting for text indexing. */
  queuedCount(cid: number): number {
    return this.#store.queuedTextCount(cid);
  }

  /** The migration backfill, one short slice per operation; a BM25 search finishes its collection first. */
  #backfill(): void {
    if (this.#store.textBackfills.length === 0) return;
    const loop = async () => {
      for (const cid of this.#store.textBackfills) {
        while (!this.#runner.closed && !this.#store.textReady(cid)) {
          await this.#runner.run("backfillFullText", { timeout: 0 }, (scope) => this.#backfillSlice(cid, scope));
        }
      }
    };
    loop().catch((err: unknown) => {
      if (!this.#runner.closed) this.#logger.warn?.({ err }, "full-text backfill stopped; BM25 searches will resume it");
    });
  }

  /**
   * Runs `work` in one short write transaction of its own (rolled back if it throws), then lets the
   * event loop turn.
   */
  async #slice(scope: OperationScope, work: () => void): Promise<void> {
    await this.#writes.transaction(scope, work);
    await yieldToEventLoop();
  }

  /** Indexes a few ms worth of a collection's records into its full-text indexes (migration backfill). */
  #backfillSlice(cid: number, scope: OperationScope): Promise<void> {
    return this.#slice(scope, () => {
      const until = performance.now() + SLICE_MS;
      while (this.#store.backfillText(cid, 2) && performance.now() < until);
    });
  }

  /**
   * Indexes a few ms worth of queued documents in one transaction. A very large document is
   * tokenized for BM25 first, outside the transaction and in slices: at ~0.6 µs a word, a 600 KB
   * document would otherwise hold the event loop for 60 ms.
   */
  async #drainSlice(scope: OperationScope): Promise<void> {
    for (
      let large = this.#store.nextLargeQueuedText(LARGE_DOCUMENT_CHARS);
      large;
      large = this.#store.nextLargeQueuedText(LARGE_DOCUMENT_CHARS)
    ) {
      const ids: number[] = [];
      for (const piece of splitAtWhitespace(large.document, LARGE_DOCUMENT_CHARS / 2)) {
        for (const id of bm25TermIds(piece)) ids.push(id);
        scope.check();
        await yieldToEventLoop();
      }
      this.#store.prepareText(large.rid, large.document, ids.join(" "));
    }
    return this.#slice(scope, () => {
      const until = performance.now() + SLICE_MS;
      while (this.#store.drainText(1) > 0 && performance.now() < until);
      this.#store.mergeText();
    });
  }
}
