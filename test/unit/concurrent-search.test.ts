/**
 * Searches beside inserts (native/vector_index.cc, ConcurrentSearch): while new points are inserted on
 * background threads, searches run without waiting for them and must still answer correctly (every
 * distance exact for its label, no deleted or filtered-out label, no duplicate, nearest first) and find
 * what was already in the graph. Labels inserted again (rewrites: a new element each, the old one
 * retired) answer with their old vector or their new one, once.
 */
import { describe, expect, it } from "vitest";
import { native } from "../../src/vector/native.js";
import { rng } from "../helpers/rng.js";

const DIM = 32;

function l2(data: Float32Array, label: number, query: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < DIM; i++) {
    const d = data[label * DIM + i]! - query[i]!;
    sum += d * d;
  }
  return sum;
}

describe("searches beside inserts", () => {
  it("answer exactly and find the graph's points while new points are being inserted", async () => {
    const rand = rng(11);
    const before = 4000;
    const added = 16_000;
    const n = before + added;
    const data = Float32Array.from({ length: n * DIM }, () => rand());
    const ix = new native.VectorIndex("l2", DIM);
    ix.init(n, 16, 100, 1);
    ix.setEf(64);
    await ix.add(Float64Array.from({ length: before }, (_, i) => i), data.subarray(0, before * DIM), 2, false);
    const deleted = new Set<number>();
    for (let label = 0; label < before; label += 37) {
      expect(ix.markDeleted(label)).toBe(true);
      deleted.add(label);
    }
    // Every other label of the first part may be asked for (the allow-list path).
    const allowed = Float64Array.from({ length: n / 2 }, (_, i) => 2 * i);

    const adding = ix.add(
      Float64Array.from({ length: added }, (_, i) => before + i),
      data.slice(before * DIM),
      2,
      false,
    );
    let finished = false;
    void adding.then(() => (finished = true));
    let selfFound = 0;
    let probes = 0;
    for (let round = 0; !finished; round++) {
      for (let j = 0; j < 20; j++) {
        const probe = (round * 20 + j) % before;
        const query = data.subarray(probe * DIM, (probe + 1) * DIM);
        const filtered = j % 4 === 3;
        const hits = ix.search(query, 10, filtered ? allowed : null);
        const labels = [...hits.labels];
        expect(new Set(labels).size).toBe(labels.length);
        for (let i = 0; i < labels.length; i++) {
          const label = labels[i]!;
          expect(Number.isInteger(label) && label >= 0 && label < n).toBe(true);
          expect(deleted.has(label)).toBe(false);
          if (filtered) expect(label % 2).toBe(0);
          expect(Math.abs(hits.distances[i]! - l2(data, label, query))).toBeLessThan(1e-4);
          if (i > 0) expect(hits.distances[i]!).toBeGreaterThanOrEqual(hits.distances[i - 1]!);
        }
        if (!deleted.has(probe) && (!filtered || probe % 2 === 0)) {
          probes++;
          if (labels[0] === probe) selfFound++;
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    await adding;
    // The searches ran beside the inserts (not taking turns with them), and found the graph's points.
    expect(ix.searchesBesideInserts).toBeGreaterThan(100);
    expect(selfFound / probes).toBeGreaterThan(0.99);
    // And the graph the inserts left is whole: the new points find themselves too.
    let found = 0;
    for (let label = before; label < n; label += 53) {
      if (ix.search(data.subarray(label * DIM, (label + 1) * DIM), 1, null).labels[0] === label) found++;
    }
    expect(found / Math.ceil(added / 53)).toBeGreaterThan(0.99);
  });

  it("a rewrite of existing labels is never seen half-written, nor twice, by a search beside it", async () => {
    const rand = rng(12);
    const n = 3000;
    const first = Float32Array.from({ length: n * DIM }, () => rand());
    const second = Float32Array.from({ length: n * DIM }, () => rand());
    const labels = Float64Array.from({ length: n }, (_, i) => i);
    const ix = new native.VectorIndex("l2", DIM);
    ix.init(2 * n, 16, 100, 1); // each rewrite takes a new element
    await ix.add(labels, first, 2, false);
    const besideBefore = ix.searchesBesideInserts;
    const updating = ix.add(labels, second.slice(), 2, false);
    let finished = false;
    void updating.then(() => (finished = true));
    let checked = 0;
    while (!finished) {
      const query = Float32Array.from({ length: DIM }, () => rand());
      const hits = ix.search(query, 10, null);
      expect(hits.labels.length).toBe(10);
      expect(new Set(hits.labels).size).toBe(10);
      for (let i = 0; i < hits.labels.length; i++) {
        const label = hits.labels[i]!;
        // The old vector or the new one, never a mix of the two.
        const d = hits.distances[i]!;
        expect(Math.min(Math.abs(d - l2(first, label, query)), Math.abs(d - l2(second, label, query)))).toBeLessThan(1e-4);
        checked++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await updating;
    expect(checked).toBeGreaterThan(0);
    expect(ix.searchesBesideInserts).toBeGreaterThan(besideBefore); // some did run beside the rewrites
    for (let label = 0; label < n; label += 101) expect([...ix.vector(label)!]).toEqual([...second.subarray(label * DIM, (label + 1) * DIM)]);
  });
});
