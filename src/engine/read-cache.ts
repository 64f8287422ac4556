/**
 * What a collection's reads can reuse while it does not change: filter results and its record count.
 * Everything here is valid for one sequence number of the collection and forgotten when it moves on.
 */
import { LRUCache } from "lru-cache";
import type { RidSet } from "./rid-set.js";

/** Upper bound of the per-collection cache of filter results (rowid sets). */
const FILTER_CACHE_BYTES = 32 << 20;

export class ReadCache {
  readonly #seq: () => number;
  /**
   * Results of recent filters: apps tend to repeat the same filter (a user, a tenant, a category)
   * across many queries. Least recently used out first, within FILTER_CACHE_BYTES; one set may take a
   * quarter of it.
   */
  readonly #filters = new LRUCache<string, RidSet>({
    maxSize: FILTER_CACHE_BYTES,
    maxEntrySize: FILTER_CACHE_BYTES / 4,
    sizeCalculation: (rids) => Math.max(1, rids.bytes),
  });
  #filtersSeq = -1;
  #counted: { seq: number; n: number } | undefined;

  /** `seq` reads the collection's current sequence number. */
  constructor(seq: () => number) {
    this.#seq = seq;
  }

  /** A cached filter result, if the collection has not changed since it was computed. */
  filter(key: string): RidSet | undefined {
    if (this.#filtersSeq !== this.#seq()) return undefined;
    return this.#filters.get(key);
  }

  keepFilter(key: string, rids: RidSet): void {
    const seq = this.#seq();
    if (this.#filtersSeq !== seq) {
      this.#filters.clear();
      this.#filtersSeq = seq;
    }
    this.#filters.set(key, rids);
  }

  /**
   * The number of records, counted once per sequence number: a count scans the collection's index
   * (~0.5 ms at 30,000 records), and apps ask for it again and again between writes.
   */
  count(countNow: () => number): number {
    const seq = this.#seq();
    if (this.#counted?.seq !== seq) this.#counted = { seq, n: countNow() };
    return this.#counted.n;
  }
}
