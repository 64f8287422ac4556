/**
 * Two principal components of a set of vectors, by subspace (block power) iteration on the centred
 * data: both components at once, one pass over the rows per iteration, never forming the d×d
 * covariance. The components are fitted on at most FIT_ROWS evenly spaced rows (more adds nothing to
 * a picture) and every row is projected on them. The work yields to the event loop between
 * iterations, so a map of 20,000 × 384 floats does not hold up other requests. Deterministic.
 */

export interface Pca2 {
  /** Coordinates of each input row on the two components. */
  xs: Float64Array;
  ys: Float64Array;
  /** Share of the total variance (of the fitted rows) each component explains (0..1). */
  explained: [number, number];
}

const FIT_ROWS = 5000;
const MAX_ITERATIONS = 20;
/** Stop when the components move less than this (1 − |cos|). */
const TOLERANCE = 1e-6;

/** Gram–Schmidt on two vectors; returns their norms before normalising (the second after removing the first). */
function orthonormalise(a: Float64Array, b: Float64Array): [number, number] {
  const d = a.length;
  let na = 0;
  for (let j = 0; j < d; j++) na += a[j]! * a[j]!;
  na = Math.sqrt(na) || 1;
  for (let j = 0; j < d; j++) a[j]! /= na;
  let dot = 0;
  for (let j = 0; j < d; j++) dot += a[j]! * b[j]!;
  for (let j = 0; j < d; j++) b[j]! -= dot * a[j]!;
  let nb = 0;
  for (let j = 0; j < d; j++) nb += b[j]! * b[j]!;
  nb = Math.sqrt(nb) || 1;
  for (let j = 0; j < d; j++) b[j]! /= nb;
  return [na, nb];
}

export async function pca2(rows: readonly Float32Array[], pause: () => Promise<void> = () => Promise.resolve()): Promise<Pca2> {
  const n = rows.length;
  const d = n === 0 ? 0 : rows[0]!.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  if (n === 0 || d === 0) return { xs, ys, explained: [0, 0] };
  const step = Math.max(1, Math.floor(n / FIT_ROWS));
  const fit: Float32Array[] = [];
  for (let i = 0; i < n && fit.length < FIT_ROWS; i += step) fit.push(rows[i]!);
  const mean = new Float64Array(d);
  for (const r of fit) for (let j = 0; j < d; j++) mean[j]! += r[j]!;
  for (let j = 0; j < d; j++) mean[j]! /= fit.length;
  let totalVar = 0;
  for (const r of fit) for (let j = 0; j < d; j++) totalVar += (r[j]! - mean[j]!) ** 2;

  // Fixed start vectors, not axis-aligned.
  let a = new Float64Array(d).map((_, j) => 1 + (j % 5) * 0.1);
  let b = new Float64Array(d).map((_, j) => (j % 2 === 0 ? 1 : -1) + (j % 3) * 0.1);
  orthonormalise(a, b);
  let norms: [number, number] = [0, 0];
  const centred = new Float64Array(d);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const na = new Float64Array(d);
    const nb = new Float64Array(d);
    for (const r of fit) {
      let sa = 0;
      let sb = 0;
      for (let j = 0; j < d; j++) {
        const c = r[j]! - mean[j]!;
        centred[j] = c;
        sa += c * a[j]!;
        sb += c * b[j]!;
      }
      for (let j = 0; j < d; j++) {
        na[j]! += sa * centred[j]!;
        nb[j]! += sb * centred[j]!;
      }
    }
    norms = orthonormalise(na, nb);
    let cosA = 0;
    let cosB = 0;
    for (let j = 0; j < d; j++) {
      cosA += na[j]! * a[j]!;
      cosB += nb[j]! * b[j]!;
    }
    a = na;
    b = nb;
    if (1 - Math.abs(cosA) < TOLERANCE && 1 - Math.abs(cosB) < TOLERANCE) break;
    await pause();
  }
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    let sa = 0;
    let sb = 0;
    for (let j = 0; j < d; j++) {
      const c = r[j]! - mean[j]!;
      sa += c * a[j]!;
      sb += c * b[j]!;
    }
    xs[i] = sa;
    ys[i] = sb;
  }
  const share = (x: number) => (totalVar > 0 ? x / totalVar : 0);
  return { xs, ys, explained: [share(norms[0]), share(norms[1])] };
}
