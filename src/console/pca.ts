/**
 * Two principal components of a set of vectors, by power iteration with deflation on the centred
 * data (never forming the d×d covariance: 20,000 × 384 floats take ~30 iterations of two passes).
 * Deterministic: the start vector is fixed, so the same sample gives the same map.
 */

export interface Pca2 {
  /** Coordinates of each input row on the two components. */
  xs: Float64Array;
  ys: Float64Array;
  /** Share of the total variance each component explains (0..1). */
  explained: [number, number];
}

const ITERATIONS = 40;

export function pca2(rows: readonly Float32Array[]): Pca2 {
  const n = rows.length;
  const d = n === 0 ? 0 : rows[0]!.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  if (n === 0 || d === 0) return { xs, ys, explained: [0, 0] };
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  let totalVar = 0;
  for (const r of rows) for (let j = 0; j < d; j++) totalVar += (r[j]! - mean[j]!) ** 2;
  const components: Float64Array[] = [];
  const variances: number[] = [];
  const proj = new Float64Array(n);
  for (let c = 0; c < 2; c++) {
    let v = new Float64Array(d).map((_, j) => 1 / Math.sqrt(d) + (j % 7) * 1e-3); // fixed, not axis-aligned
    let lambda = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      // proj = X v ; w = Xᵀ proj (X centred, earlier components removed from v)
      for (const prev of components) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += v[j]! * prev[j]!;
        for (let j = 0; j < d; j++) v[j]! -= dot * prev[j]!;
      }
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const r = rows[i]!;
        let s = 0;
        for (let j = 0; j < d; j++) s += (r[j]! - mean[j]!) * v[j]!;
        proj[i] = s;
        for (let j = 0; j < d; j++) w[j]! += s * (r[j]! - mean[j]!);
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += w[j]! ** 2;
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    for (const prev of components) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[j]! * prev[j]!;
      for (let j = 0; j < d; j++) v[j]! -= dot * prev[j]!;
    }
    components.push(v);
    variances.push(lambda);
    const out = c === 0 ? xs : ys;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += (r[j]! - mean[j]!) * v[j]!;
      out[i] = s;
    }
  }
  const share = (x: number) => (totalVar > 0 ? x / totalVar : 0);
  return { xs, ys, explained: [share(variances[0]!), share(variances[1]!)] };
}
