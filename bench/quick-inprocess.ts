import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PersistentClient } from "../src/index.js";
import { clustered, documentFor, exactTopK, metadataFor, percentile } from "./lib/data.js";

const N = Number(process.env.N ?? 100_000);
const DIM = Number(process.env.DIM ?? 384);
const NQ = 200;
const w = clustered(N, DIM, NQ);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const client = new PersistentClient({ path: dir, timeout: 0 });
const c = await client.createCollection({ name: "bench" });
let t = performance.now();
for (let i = 0; i < N; i += 1000) {
  const ids = [], embs = [], docs = [], metas = [];
  for (let j = i; j < Math.min(N, i + 1000); j++) {
    ids.push(`id${j}`); embs.push(w.vectors[j]!); docs.push(documentFor(j)); metas.push(metadataFor(j, w.categories[j]!));
  }
  await c.add({ ids, embeddings: embs, documents: docs, metadatas: metas });
}
const ingest = (performance.now() - t) / 1000;
console.log(`ingest ack: ${ingest.toFixed(1)} s = ${(N / ingest).toFixed(0)} rows/s; loop max ${(loop.max / 1e6).toFixed(1)} ms`);
t = performance.now();
await c.waitForIndexing();
const indexed = (performance.now() - t) / 1000;
console.log(`indexing finished +${indexed.toFixed(1)} s (total ${(ingest + indexed).toFixed(1)} s = ${(N / (ingest + indexed)).toFixed(0)} rows/s); loop max ${(loop.max / 1e6).toFixed(1)} ms`);
loop.reset();
const truth = w.queries.map((q) => exactTopK(w.vectors, q, 10));
for (const [label, where] of [["unfiltered", undefined], ["10%", { bucket10: 3 }], ["1%", { bucket100: 7 }]] as const) {
  const times: number[] = [];
  let hits = 0;
  for (let qi = 0; qi < NQ; qi++) {
    const q = w.queries[qi]!;
    const s = performance.now();
    const r = await c.query({ queryEmbeddings: [q], nResults: 10, where: where });
    times.push(performance.now() - s);
    const got = new Set(r.ids[0]);
    const want = where
      ? exactTopK(w.vectors, q, 10, (i) => (label === "10%" ? i % 10 === 3 : i % 100 === 7))
      : truth[qi]!;
    hits += want.filter((i) => got.has(`id${i}`)).length;
  }
  times.sort((a, b) => a - b);
  console.log(`query ${label}: p50 ${percentile(times, 50).toFixed(3)} ms p99 ${percentile(times, 99).toFixed(3)} ms recall@10 ${(hits / (NQ * 10)).toFixed(4)}`);
}
t = performance.now();
await client.close();
console.log(`close ${(performance.now() - t).toFixed(0)} ms`);
t = performance.now();
const c2 = await PersistentClient.open({ path: dir });
const col = await c2.getCollection({ name: "bench" });
await col.query({ queryEmbeddings: [w.queries[0]!], nResults: 10 });
console.log(`reopen + first query ${(performance.now() - t).toFixed(0)} ms; loop max ${(loop.max / 1e6).toFixed(1)} ms`);
await c2.close();
fs.rmSync(dir, { recursive: true, force: true });
