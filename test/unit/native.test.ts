import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { native } from "../../src/vector/native.js";
import { rng } from "../helpers/rng.js";

/**
 * The two native builds (native/vector_index.cc): portable and AVX2. The loader takes the AVX2 one
 * when the CPU has it; both must answer alike (float32 sums in another order: within 1e-5).
 */
const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "../..");
const file = (name: string) => path.join(root, "build", "Release", `${name}.node`);
type Binding = typeof native;

describe("native builds", () => {
  const portable = require(file("chromalite_vector")) as Binding;
  const avx2File = file("chromalite_vector_avx2");
  const hasAvx2Build = fs.existsSync(avx2File);

  it("the loader picks the AVX2 build exactly when the CPU supports it (or CHROMALITE_NATIVE=portable)", () => {
    const wanted = hasAvx2Build && portable.cpu().avx2 && process.env.CHROMALITE_NATIVE !== "portable" ? "avx2" : "portable";
    expect(native.cpu().build).toBe(wanted);
  });

  it.skipIf(!hasAvx2Build || !portable.cpu().avx2)("portable and AVX2 builds give the same neighbours and distances", async () => {
    const avx2 = require(avx2File) as Binding;
    const rand = rng(3);
    const n = 2000;
    for (const space of ["l2", "ip", "cosine"] as const) {
      for (const dim of [7, 64, 384]) {
        const data = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
        const labels = Float64Array.from({ length: n }, (_, i) => i + 1);
        const indexes = [portable, avx2].map((b) => {
          const ix = new b.VectorIndex(space, dim);
          ix.init(n, 16, 100, 100);
          ix.setEf(200);
          return ix;
        });
        // One thread: the same insertion order, so the same graph.
        for (const ix of indexes) await ix.add(labels, data, 1, false);
        for (let q = 0; q < 20; q++) {
          const query = data.subarray(q * 97 * dim, (q * 97 + 1) * dim);
          const [a, b] = indexes.map((ix) => ix.search(query, 10, null));
          const [fa, fb] = [portable, avx2].map((bd) => bd.scanFlat(space, query, data, labels, 10, null));
          for (const [x, y] of [[a!, b!], [fa!, fb!]] as const) {
            expect(x.labels.length).toBe(10);
            for (let i = 0; i < 10; i++) expect(Math.abs(x.distances[i]! - y.distances[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(x.distances[i]!)));
            // The same records, allowing near-ties to swap places.
            expect(new Set(y.labels).size).toBe(10);
            const common = [...x.labels].filter((l) => y.labels.includes(l)).length;
            expect(common).toBeGreaterThanOrEqual(9);
          }
        }
      }
    }
  });
});
