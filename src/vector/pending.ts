/**
 * Vectors committed but not yet in the HNSW graph, kept in one contiguous buffer so that native code
 * scans them exactly (./native.ts scanFlat) with the same distance functions as the graph. Cosine
 * vectors are stored normalised, as the graph stores them. Removal moves the last row into the gap,
 * so the rows stay dense and in no particular order.
 */
import type { Space } from "../types.js";
import { native, type NativeHits } from "./native.js";

const INITIAL_ROWS = 256;

export class PendingVectors {
  readonly #space: Space;
  readonly #dimension: number;
  #vectors: Float32Array;
  #labels: Float64Array;
  #seqs: Float64Array;
  #count = 0;
  readonly #rows = new Map<number, number>();

  constructor(space: Space, dimension: number) {
    this.#space = space;
    this.#dimension = dimension;
    this.#vectors = new Float32Array(INITIAL_ROWS * dimension);
    this.#labels = new Float64Array(INITIAL_ROWS);
    this.#seqs = new Float64Array(INITIAL_ROWS);
  }

  get size(): number {
    return this.#count;
  }

  /** Bytes of vectors held (for backpressure). */
  get bytes(): number {
    return this.#count * this.#dimension * 4;
  }

  has(label: number): boolean {
    return this.#rows.has(label);
  }

  /** The sequence number of a label's pending vector, or undefined. */
  seqOf(label: number): number | undefined {
    const row = this.#rows.get(label);
    return row === undefined ? undefined : this.#seqs[row];
  }

  /** Adds or replaces a label's vector. */
  set(label: number, vector: Float32Array, seq: number): void {
    let row = this.#rows.get(label);
    if (row === undefined) {
      if (this.#count === this.#labels.length) this.#grow();
      row = this.#count++;
      this.#rows.set(label, row);
      this.#labels[row] = label;
    }
    const at = row * this.#dimension;
    this.#vectors.set(vector, at);
    if (this.#space === "cosine") native.normalize(this.#vectors.subarray(at, at + this.#dimension));
    this.#seqs[row] = seq;
  }

  delete(label: number): boolean {
    const row = this.#rows.get(label);
    if (row === undefined) return false;
    this.#rows.delete(label);
    const last = --this.#count;
    if (row !== last) {
      const d = this.#dimension;
      this.#vectors.copyWithin(row * d, last * d, (last + 1) * d);
      const moved = this.#labels[last]!;
      this.#labels[row] = moved;
      this.#seqs[row] = this.#seqs[last]!;
      this.#rows.set(moved, row);
    }
    if (this.#count === 0 && this.#labels.length > INITIAL_ROWS * 4) this.clear(); // give a drained backlog's memory back
    return true;
  }

  clear(): void {
    this.#rows.clear();
    this.#count = 0;
    this.#vectors = new Float32Array(INITIAL_ROWS * this.#dimension);
    this.#labels = new Float64Array(INITIAL_ROWS);
    this.#seqs = new Float64Array(INITIAL_ROWS);
  }

  /** The lowest sequence number pending, or Infinity. */
  minSeq(): number {
    let min = Infinity;
    for (let i = 0; i < this.#count; i++) if (this.#seqs[i]! < min) min = this.#seqs[i]!;
    return min;
  }

  /** Copies of the first `n` rows (labels, their seqs and vectors), for an insert batch. */
  take(n: number): { labels: Float64Array; seqs: Float64Array; vectors: Float32Array } {
    const count = Math.min(n, this.#count);
    return {
      labels: this.#labels.slice(0, count),
      seqs: this.#seqs.slice(0, count),
      vectors: this.#vectors.slice(0, count * this.#dimension),
    };
  }

  /** The exact k nearest pending vectors, within `allowed` (sorted labels) when given. */
  scan(query: Float32Array, k: number, allowed?: Float64Array): NativeHits {
    return native.scanFlat(
      this.#space,
      query,
      this.#vectors.subarray(0, this.#count * this.#dimension),
      this.#labels.subarray(0, this.#count),
      k,
      allowed ?? null,
    );
  }

  #grow(): void {
    const rows = this.#labels.length * 2;
    const vectors = new Float32Array(rows * this.#dimension);
    vectors.set(this.#vectors);
    const labels = new Float64Array(rows);
    labels.set(this.#labels);
    const seqs = new Float64Array(rows);
    seqs.set(this.#seqs);
    this.#vectors = vectors;
    this.#labels = labels;
    this.#seqs = seqs;
  }
}
