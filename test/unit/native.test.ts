import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { native } from "../../src/vector/native.js";
import { rng } from "../helpers/rng.js";

/**
 * The native builds (native/vector_index.cc): portable, AVX2 and AVX-512F. The loader takes the
 * widest the CPU has; all must answer alike (float32 sums in another order: within 1e-5).
 */
const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "../..");
const file = (name: string) => path.join(root, "build", "Release", `${name}.node`);
type Binding = typeof native;

describe("native builds", () => {
  const portable = require(file("chromalite_vector")) as Binding;
  const cpu = portable.cpu();
  const wider = [
    { build: "avx512", file: file("chromalite_vector_avx512"), supported: cpu.avx512 === true },
    { build: "avx2", file: file("chromalite_vector_avx2"), supported: cpu.avx2 },
  ].map((w) => ({ ...w, usable: w.supported && fs.existsSync(w.file) }));

  it("the loader picks the widest build the CPU supports (or the one CHROMALITE_NATIVE caps it at)", () => {
    const cap = process.env.CHROMALITE_NATIVE;
    const allowed = cap === "portable" ? [] : cap === "avx2" ? wider.slice(1) : wider;
    const wanted = allowed.find((w) => w.usable)?.build ?? "portable";
    expect(native.cpu().build).toBe(wanted);
  });

  it("every wider build this CPU can run gives the same neighbours and distances as the portable one", async (ctx) => {
    const usable = wider.filter((w) => w.usable);
    if (usable.length === 0) ctx.skip();
    for (const w of usable) await sameAnswers(require(w.file) as Binding);
  });

  it.skipIf(process.platform !== "linux")("insert threads run at the nice level asked, and the event loop's thread keeps its own", async () => {
    const dim = 64;
    const n = 20_000;
    const rand = rng(5);
    const ix = new native.VectorIndex("l2", dim);
    ix.init(n, 16, 200, 1);
    const data = Float32Array.from({ length: n * dim }, () => rand());
    const labels = Float64Array.from({ length: n }, (_, i) => i);
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    const threadNices = () =>
      fs.readdirSync("/proc/self/task").map((tid) => {
        try {
          return niceOf(fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8"));
        } catch {
          return NaN; // the thread ended meanwhile
        }
      });
    const before = niceOf(fs.readFileSync("/proc/self/stat", "utf8"));
    const adding = ix.add(labels, data, 2, false, 7);
    let seen = false;
    while (ix.busy && !seen) {
      seen = threadNices().includes(before + 7);
      await new Promise((r) => setTimeout(r, 1));
    }
    await adding;
    expect(seen).toBe(true);
    expect(niceOf(fs.readFileSync("/proc/self/stat", "utf8"))).toBe(before);
    // Its threads are its own: none of the process's remaining threads is left at the lower priority.
    expect(threadNices().filter((x) => x === before + 7)).toEqual([]);
  });

  async function sameAnswers(other: Binding): Promise<void> {
    const rand = rng(3);
    const n = 2000;
    for (const space of ["l2", "ip", "cosine"] as const) {
      for (const dim of [7, 64, 384]) {
        const data = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
        const labels = Float64Array.from({ length: n }, (_, i) => i + 1);
        const indexes = [portable, other].map((b) => {
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
          const [fa, fb] = [portable, other].map((bd) => bd.scanFlat(space, query, data, labels, 10, null));
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
  }
});
