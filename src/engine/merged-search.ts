/**
 * Searching a collection's two homes of vectors as one: the HNSW graph and the vectors committed but
 * not yet in it (pending, scanned exactly by native code). A rowid in both has its newer vector in
 * pending; a label hidden (removed while its insert batch was in flight) answers nothing.
 */
import type { HnswIndex } from "../vector/hnsw-index.js";
import type { NativeHits } from "../vector/native.js";
import type { PendingVectors } from "../vector/pending.js";
import type { RidSet } from "./rid-set.js";
import { TopK, type Scored } from "./top-k.js";

/**
 * Approximate k-NN through HNSW, with an exact scan of pending vectors merged in. `allowed` restricts
 * the candidates. Returns fewer than k only when fewer exist in the index + pending.
 */
export function annSearch(
  index: HnswIndex | null,
  pending: PendingVectors | null,
  hidden: ReadonlySet<number>,
  query: Float32Array,
  k: number,
  allowed: RidSet | undefined,
): Scored[] {
  const top = new TopK(k);
  if (index && index.liveCount > 0) {
    const hits = index.search(query, k, allowed?.sorted);
    // A label also pending has a newer vector there (or is in flight: the scan below has it too).
    pushHits(top, hits, (rid) => pending?.has(rid) === true || hidden.has(rid));
  }
  if (pending && pending.size > 0) pushHits(top, pending.scan(query, k, allowed?.sorted));
  return top.sorted();
}

/** Exact k-NN over `candidates` (sorted rowids of live records): pending vectors and the graph's. */
export function exactSearch(
  index: HnswIndex | null,
  pending: PendingVectors | null,
  queries: Float32Array[],
  k: number,
  candidates: readonly number[],
): Scored[][] {
  const inPending: number[] = [];
  const inGraph: number[] = [];
  for (const rid of candidates) (pending?.has(rid) ? inPending : inGraph).push(rid);
  const pendingSet = Float64Array.from(inPending);
  const graphSet = Float64Array.from(inGraph);
  return queries.map((query) => {
    const top = new TopK(k);
    if (graphSet.length > 0 && index) pushHits(top, index.distances(query, graphSet, k));
    if (pendingSet.length > 0 && pending) pushHits(top, pending.scan(query, k, pendingSet));
    return top.sorted();
  });
}

function pushHits(top: TopK, hits: NativeHits, skip?: (rid: number) => boolean): void {
  for (let i = 0; i < hits.labels.length; i++) {
    const rid = hits.labels[i]!;
    if (skip?.(rid)) continue;
    top.push(rid, hits.distances[i]!);
  }
}
