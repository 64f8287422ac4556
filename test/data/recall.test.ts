import { describe, expect, it } from "vitest";
import { readFvecs, readIvecs, sharedData } from "../helpers/datasets.js";
import { tempClient } from "../helpers/tmp.js";

const base = sharedData("sift5k-ngt/base4900.fvecs");
const queries = sharedData("sift5k-ngt/query103.fvecs");
const truth = sharedData("sift5k-ngt/groundtruth103_l2_top100.ivecs");
const present = base.exists && queries.exists && truth.exists;

describe.skipIf(!present)(`recall on real data (needs ${base.path})`, () => {
  it("reaches recall@10 >= 0.99 on sift5k-ngt (l2) at default settings, through HNSW", async () => {
    const vectors = readFvecs(base.path);
    const qs = readFvecs(queries.path);
    const gt = readIvecs(truth.path);
    const { client } = tempClient();
    const c = await client.createCollection({ name: "sift5k" });
    for (let i = 0; i < vectors.length; i += 1000) {
      const slice = vectors.slice(i, i + 1000);
      await c.add({ ids: slice.map((_, j) => String(i + j)), embeddings: slice });
    }
    await c.waitForIndexing();
    const status = await c.getIndexingStatus();
    expect(status.num_unindexed_ops).toBe(0);
    let hits = 0;
    for (let q = 0; q < qs.length; q++) {
      const r = await c.query({ queryEmbeddings: [qs[q]!], nResults: 10, include: ["distances"] });
      const want = new Set(Array.from(gt[q]!.slice(0, 10), String));
      hits += r.ids[0]!.filter((id) => want.has(id)).length;
      // Distances are squared L2, as Chroma's.
      const d0 = r.distances[0]![0]!;
      const v = vectors[Number(r.ids[0]![0])]!;
      const exact = v.reduce((s, x, i) => s + (x - qs[q]![i]!) ** 2, 0);
      expect(Math.abs(d0 - exact) / Math.max(1, exact)).toBeLessThan(1e-5);
    }
    const recall = hits / (qs.length * 10);
    console.log(`sift5k-ngt recall@10 = ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  }, 120_000);
});
