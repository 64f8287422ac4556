/**
 * Scored candidates and the bounded heap that keeps the k best. Distances themselves are computed in
 * native code (src/vector), with hnswlib's own functions, so exact and approximate answers agree.
 */

/** A scored candidate; ties are broken by rowid, i.e. insertion order, as Chroma does. */
export interface Scored {
  rid: number;
  distance: number;
}

export function compareScored(a: Scored, b: Scored): number {
  return a.distance - b.distance || a.rid - b.rid;
}

/** Keeps the k best candidates seen so far (a bounded max-heap on (distance, rid)). */
export class TopK {
  readonly #k: number;
  readonly #heap: Scored[] = [];

  constructor(k: number) {
    this.#k = k;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The current k-th best, or undefined while fewer than k are held. */
  worst(): Scored | undefined {
    return this.#heap.length === this.#k ? this.#heap[0] : undefined;
  }

  push(rid: number, distance: number): void {
    if (this.#k <= 0) return;
    const heap = this.#heap;
    if (heap.length < this.#k) {
      heap.push({ rid, distance });
      this.#siftUp(heap.length - 1);
      return;
    }
    const top = heap[0]!;
    if (compareScored({ rid, distance }, top) >= 0) return;
    heap[0] = { rid, distance };
    this.#siftDown(0);
  }

  /** The kept candidates, best first. */
  sorted(): Scored[] {
    return [...this.#heap].sort(compareScored);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareScored(heap[i]!, heap[parent]!) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < heap.length && compareScored(heap[l]!, heap[largest]!) > 0) largest = l;
      if (r < heap.length && compareScored(heap[r]!, heap[largest]!) > 0) largest = r;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest]!, heap[i]!];
      i = largest;
    }
  }
}
