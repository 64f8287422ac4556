/**
 * Synthetic workload: clustered, L2-normalised vectors from a Gaussian mixture, with metadata and
 * short documents, generated from a fixed seed so every system sees the same data.
 */
import { rng } from "../../test/helpers/rng.js";

function gaussian(next: () => number): number {
  let u = 0;
  while (u === 0) u = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

export interface Workload {
  dim: number;
  vectors: Float32Array[];
  queries: Float32Array[];
  categories: number[];
}

const WORDS = ["alpha", "beta", "gamma", "delta", "vector", "search", "index", "query", "chroma", "lite", "node", "store"];

export function clustered(n: number, dim: number, nQueries: number, seed = 42, clusters = 100, spread = 0.25): Workload {
  const next = rng(seed);
  const centers: Float32Array[] = [];
  for (let c = 0; c < clusters; c++) {
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = gaussian(next);
    centers.push(v);
  }
  const make = (): [Float32Array, number] => {
    const c = Math.floor(next() * clusters);
    const center = centers[c]!;
    const v = new Float32Array(dim);
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      const x = center[i]! + gaussian(next) * spread * 1.0;
      v[i] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) v[i] = v[i]! / norm;
    return [v, c];
  };
  const vectors: Float32Array[] = [];
  const categories: number[] = [];
  for (let i = 0; i < n; i++) {
    const [v, c] = make();
    vectors.push(v);
    categories.push(c);
  }
  const queries: Float32Array[] = [];
  for (let i = 0; i < nQueries; i++) queries.push(make()[0]);
  return { dim, vectors, queries, categories };
}

export function documentFor(i: number): string {
  return `record ${i} ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]}`;
}

/** Metadata with a 10% bucket (`bucket10` 0..9), a 1% bucket (`bucket100`) and a cluster id. */
export function metadataFor(i: number, category: number): Record<string, string | number | boolean> {
  return { bucket10: i % 10, bucket100: i % 100, cluster: category, even: i % 2 === 0, tag: WORDS[i % WORDS.length]! };
}

/** Exact top-k by squared L2 (equivalently cosine for unit vectors), brute force. */
export function exactTopK(vectors: Float32Array[], query: Float32Array, k: number, allowed?: (i: number) => boolean): number[] {
  const best: [number, number][] = [];
  for (let i = 0; i < vectors.length; i++) {
    if (allowed && !allowed(i)) continue;
    const v = vectors[i]!;
    let d = 0;
    for (let j = 0; j < v.length; j++) {
      const x = v[j]! - query[j]!;
      d += x * x;
    }
    if (best.length < k) {
      best.push([d, i]);
      best.sort((a, b) => a[0] - b[0]);
    } else if (d < best[k - 1]![0]) {
      best[k - 1] = [d, i];
      best.sort((a, b) => a[0] - b[0]);
    }
  }
  return best.map(([, i]) => i);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
