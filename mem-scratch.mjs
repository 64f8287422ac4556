import fs from "node:fs"; import os from "node:os"; import path from "node:path"; import v8 from "node:v8";
const { PersistentClient } = await import("./dist/index.js");
const N = 100000, DIM = 384;
let seed = 7; const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mem-"));
const client = new PersistentClient({ path: dir, timeout: 0 });
const c = await client.createCollection({ name: "bench" });
for (let i = 0; i < N; i += 1000) {
  const ids = [], embs = [], docs = [], metas = [];
  for (let j = i; j < i + 1000; j++) { ids.push(`id${j}`); embs.push(new Float32Array(DIM).map(rnd)); docs.push(`document ${j} about topic ${j % 50}`); metas.push({ j, cat: `c${j % 10}` }); }
  await c.add({ ids, embeddings: embs, documents: docs, metadatas: metas });
}
await c.waitForIndexing();
for (let i = 0; i < 500; i++) await c.query({ queryEmbeddings: [new Float32Array(DIM).map(rnd)], nResults: 10 });
await new Promise((r) => setTimeout(r, 2000));
globalThis.gc?.();
const mu = process.memoryUsage(); const mb = (x) => (x / 1e6).toFixed(0);
console.log(`rss ${mb(mu.rss)} heapTotal ${mb(mu.heapTotal)} heapUsed ${mb(mu.heapUsed)} external ${mb(mu.external)} arrayBuffers ${mb(mu.arrayBuffers)}`);
const status = fs.readFileSync("/proc/self/status", "utf8").match(/VmHWM:.*|VmRSS:.*|RssAnon:.*|RssFile:.*/g); console.log(status.join(" | "));
if (process.env.SNAP) v8.writeHeapSnapshot("/tmp/scratch/heap.heapsnapshot");
await client.close(); fs.rmSync(dir, { recursive: true, force: true });
