/**
 * Held-out queries for the health view's recall: a record's own vector as a query finds itself at
 * distance 0, which flatters any index. Each query here is a sampled record's vector moved in a
 * random direction by the distance to that record's nearest other record: no query is a record, and
 * each sits about as far from its neighbours as a new record would. Seeded: the same sample gives
 * the same queries, so two visits measure the same thing.
 */

/** mulberry32: small, seeded, good enough for directions. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  let u = 0;
  while (u === 0) u = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Euclidean distance between two vectors of one length. */
export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Each vector moved by `radii[i]` in a uniformly random direction (a normalised Gaussian vector). */
export function perturbed(vectors: Float32Array[], radii: number[], seed = 1): Float32Array[] {
  const next = seeded(seed);
  return vectors.map((v, i) => {
    const dir = Float64Array.from(v, () => gaussian(next));
    let norm = 0;
    for (const x of dir) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    const r = radii[i] ?? 0;
    return Float32Array.from(v, (x, j) => x + (dir[j]! / norm) * r);
  });
}

/**
 * How far to move `v`: the distance to the nearest of `neighbours` that is not `v` itself (they come
 * nearest first); without one (duplicates, a lone record), 1% of `v`'s length, so the query still is
 * not the record.
 */
export function heldOutRadius(v: Float32Array, neighbours: (Float32Array | null)[]): number {
  for (const w of neighbours) {
    if (w === null) continue;
    const d = euclidean(w, v);
    if (d > 0) return d;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  return Math.max(0.01 * Math.sqrt(norm), 1e-6);
}
