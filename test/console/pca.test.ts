/** The map's PCA: finds the directions of most variance, in order, and says how much each explains. */
import { describe, expect, it } from "vitest";
import { pca2 } from "../../src/console/pca.js";
import { rng } from "../helpers/rng.js";

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe("pca2", () => {
  it("projects on the two directions of most variance, largest first", async () => {
    const next = rng(5);
    // Spread 10 along (1,1,0,0)/√2, 3 along (0,0,1,0), 0.1 elsewhere; 12,000 rows (fitted on 5,000).
    const u: number[] = [];
    const v: number[] = [];
    const rows = Array.from({ length: 12_000 }, () => {
      const a = (next() - 0.5) * 10;
      const b = (next() - 0.5) * 3;
      u.push(a);
      v.push(b);
      return Float32Array.from([a / Math.SQRT2 + (next() - 0.5) * 0.1, a / Math.SQRT2, b, (next() - 0.5) * 0.1]);
    });
    let pauses = 0;
    const { xs, ys, explained } = await pca2(rows, () => Promise.resolve(void pauses++));
    expect(Math.abs(correlation(xs, u))).toBeGreaterThan(0.999);
    expect(Math.abs(correlation(ys, v))).toBeGreaterThan(0.999);
    // Variances 100/12 and 9/12 of a uniform spread: about 91.6% and 8.3%.
    expect(explained[0]).toBeGreaterThan(0.9);
    expect(explained[1]).toBeGreaterThan(0.07);
    expect(explained[0] + explained[1]).toBeLessThanOrEqual(1.0001);
    expect(pauses).toBeGreaterThan(0);
  });

  it("handles no rows and a single row", async () => {
    expect((await pca2([])).xs).toHaveLength(0);
    const one = await pca2([Float32Array.from([1, 2, 3])]);
    expect(Array.from(one.xs)).toEqual([0]);
    expect(one.explained).toEqual([0, 0]);
  });
});
