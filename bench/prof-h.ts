import { HnswIndex } from "../src/index/hnsw-index.js";
import { clustered } from "./lib/data.js";
const N = 100000;
const w = clustered(N, 384, 1000, 42, 100, 0.2);
const params = { space: "l2" as const, dimension: 384, maxNeighbors: 16, efConstruction: 100, efSearch: 100, resizeFactor: 1.2 };
const a = HnswIndex.create(params, 1000);
let t = performance.now();
for (let i = 0; i < N; i++) a.upsert(i + 1, w.vectors[i]!);
console.log("built resizing", ((performance.now() - t) / 1000).toFixed(1), "s");
const b = HnswIndex.create(params, N);
t = performance.now();
for (let i = 0; i < N; i++) b.upsert(i + 1, w.vectors[i]!);
console.log("built presized", ((performance.now() - t) / 1000).toFixed(1), "s");
for (let rep = 0; rep < 3; rep++) {
  for (const [name, idx] of [["resizing", a], ["presized", b]] as const) {
    t = performance.now();
    for (const q of w.queries) idx.search(q, 10);
    console.log(rep, name, ((performance.now() - t) / w.queries.length).toFixed(3), "ms");
  }
}
