/**
 * A set of record rowids built once per filter: a sorted array (for exact scans and paging) plus a
 * bitmap over its range, so the membership test hnswlib calls for every candidate is one array read.
 */
export class RidSet {
  readonly rids: readonly number[];
  readonly #base: number;
  readonly #bits: Uint8Array;
  #sorted: Float64Array | undefined;

  /** `rids` must be sorted ascending. */
  constructor(rids: readonly number[]) {
    this.rids = rids;
    this.#base = rids.length > 0 ? rids[0]! : 0;
    const span = rids.length > 0 ? rids[rids.length - 1]! - this.#base + 1 : 0;
    this.#bits = new Uint8Array(span);
    for (const rid of rids) this.#bits[rid - this.#base] = 1;
  }

  get size(): number {
    return this.rids.length;
  }

  /** The rowids as the native index takes an allow-list (made on first use). */
  get sorted(): Float64Array {
    return (this.#sorted ??= Float64Array.from(this.rids));
  }

  has(rid: number): boolean {
    return this.#bits[rid - this.#base] === 1;
  }

  /** Approximate memory held, for cache accounting. */
  get bytes(): number {
    return this.rids.length * 16 + this.#bits.byteLength;
  }
}
