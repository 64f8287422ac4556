/**
 * Vectors committed but not yet in the HNSW graph, kept in one contiguous buffer so that native code
 * scans them exactly (./native.ts scanFlat) with the same distance functions as the graph. Cosine
 * vectors are stored normalised, as the graph stores them. Rows stay in the order they came (a
 * rewrite moves its record to the end), so the indexer takes the oldest writes first. A removed row
 * becomes a hole (label -1) until compaction.
 */
import type { Space } from "../types.js";
import { native, type NativeHits } from "./native.js";

const INITIAL_ROWS = 256;
const HOLE = -1;

export class PendingVectors {
  readonly #space: Space;
  readonly #dimension: number;
  #vectors: Float32Array;
  #labels: Float64Array;
  #seqs: Float64Array;
  /** Rows in use, holes included. */
  #end = 0;
  readonly #rows = new Map<number, number>();

  constructor(space: Space, dimension: number) {
    this.#space = space;
    this.#dimension = dimension;
    this.#vectors = new Float32Array(INITIAL_ROWS * dimension);
    this.#labels = new Float64Array(INITIAL_ROWS);
    this.#seqs = new Float64Array(INITIAL_ROWS);
  }

  get size(): number {
    return this.#rows.size;
  }

  has(label: number): boolean {
    return this.#rows.has(label);
  }

  /** The sequence number of a label's pending vector, or undefined. */
  seqOf(label: number): number | undefined {
    const row = this.#rows.get(label);
    return row === undefined ? undefined : this.#seqs[row];
  }

  /**
   * Adds a label's vector, or replaces it (the label moves to the end: it is now the newest).
   * `normalized`: the vector is already as this buffer keeps it (a row taken from it).
   */
  set(label: number, vector: Float32Array, seq: number, normalized = false): void {
    this.delete(label);
    if (this.#end === this.#labels.length) this.#makeRoom();
    const row = this.#end++;
    this.#rows.set(label, row);
    this.#labels[row] = label;
    this.#seqs[row] = seq;
    const at = row * this.#dimension;
    this.#vectors.set(vector, at);
    if (this.#space === "cosine" && !normalized) native.normalize(this.#vectors.subarray(at, at + this.#dimension));
  }

  delete(label: number): boolean {
    const row = this.#rows.get(label);
    if (row === undefined) return false;
    this.#rows.delete(label);
    this.#labels[row] = HOLE;
    if (this.#rows.size === 0) this.clear();
    return true;
  }

  clear(): void {
    this.#rows.clear();
    this.#end = 0;
    if (this.#labels.length > INITIAL_ROWS * 4) {
      // Give a drained backlog's memory back.
      this.#vectors = new Float32Array(INITIAL_ROWS * this.#dimension);
      this.#labels = new Float64Array(INITIAL_ROWS);
      this.#seqs = new Float64Array(INITIAL_ROWS);
    }
  }

  /**
   * The lowest sequence number pending, or Infinity. Every row is looked at: rows loaded by a catch-up
   * come in rowid order, not in sequence order, and a save that trusted the first row would claim
   * changes it does not hold.
   */
  minSeq(): number {
    let min = Infinity;
    for (let row = 0; row < this.#end; row++) if (this.#labels[row] !== HOLE && this.#seqs[row]! < min) min = this.#seqs[row]!;
    return min;
  }

  /** Copies of the oldest `n` rows (labels, their seqs and vectors), for an insert batch. */
  take(n: number): { labels: Float64Array; seqs: Float64Array; vectors: Float32Array } {
    const count = Math.min(n, this.#rows.size);
    const d = this.#dimension;
    const labels = new Float64Array(count);
    const seqs = new Float64Array(count);
    const vectors = new Float32Array(count * d);
    for (let row = 0, i = 0; i < count; row++) {
      if (this.#labels[row] === HOLE) continue;
      labels[i] = this.#labels[row]!;
      seqs[i] = this.#seqs[row]!;
      vectors.set(this.#vectors.subarray(row * d, (row + 1) * d), i * d);
      i++;
    }
    return { labels, seqs, vectors };
  }

  /** The exact k nearest pending vectors, within `allowed` (sorted labels) when given. */
  scan(query: Float32Array, k: number, allowed?: Float64Array): NativeHits {
    return native.scanFlat(
      this.#space,
      query,
      this.#vectors.subarray(0, this.#end * this.#dimension),
      this.#labels.subarray(0, this.#end),
      k,
      allowed ?? null,
    );
  }

  /** Closes the holes when they are at least a quarter of the rows, else doubles the buffer. */
  #makeRoom(): void {
    const d = this.#dimension;
    const live = this.#rows.size;
    const rows = live * 4 >= this.#labels.length * 3 ? this.#labels.length * 2 : this.#labels.length;
    const vectors = rows === this.#labels.length ? this.#vectors : new Float32Array(rows * d);
    const labels = rows === this.#labels.length ? this.#labels : new Float64Array(rows);
    const seqs = rows === this.#labels.length ? this.#seqs : new Float64Array(rows);
    let to = 0;
    for (let from = 0; from < this.#end; from++) {
      const label = this.#labels[from]!;
      if (label === HOLE) continue;
      if (to !== from || vectors !== this.#vectors) vectors.set(this.#vectors.subarray(from * d, (from + 1) * d), to * d);
      labels[to] = label;
      seqs[to] = this.#seqs[from]!;
      this.#rows.set(label, to);
      to++;
    }
    this.#vectors = vectors;
    this.#labels = labels;
    this.#seqs = seqs;
    this.#end = to;
  }
}
