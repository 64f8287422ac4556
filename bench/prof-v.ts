import fs from "node:fs";
import path from "node:path";
import { PersistentClient } from "../src/index.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { rng } from "../test/helpers/rng.js";
import { SHARED_DATA } from "../test/helpers/datasets.js";
const N = 100_000, DIM = 64;
const rand = rng(42);
const cran = fs.readFileSync(path.join(SHARED_DATA, "cranfield/cran.all.1400"), "utf8").toLowerCase();
const words = cran.match(/[a-z]{2,}/g)!;
const pick = () => words[Math.floor(rand() * words.length)]!;
const makeDoc = () => Array.from({ length: 40 + Math.floor(rand() * 80) }, pick).join(" ");
const vector = () => Array.from({ length: DIM }, () => rand() * 2 - 1);
const docs: string[] = [], vecs: number[][] = [];
for (let i = 0; i < N; i += 2000) { const b = Array.from({ length: 2000 }, makeDoc); docs.push(...b); vecs.push(...b.map(vector)); }
const client = new PersistentClient({ path: "/tmp/tsprof/db", timeout: 0 });
const c = await client.getCollection({ name: "speed" });
let used = false;
const orig = SqliteStore.prototype.checkDocumentCondition;
SqliteStore.prototype.checkDocumentCondition = function (...a) { used = true; return orig.apply(this, a); };
const patterns = new Set<string>();
while (patterns.size < 200) {
  const d = docs[Math.floor(rand() * docs.length)]!.split(" ");
  const at = Math.floor(rand() * (d.length - 1));
  patterns.add(rand() < 0.5 ? ` ${d[at]!} ${d[at + 1]!} ` : ` ${d[at]!} ${d[at + 1]!}`);
}
const stats: Record<string, [number, number, number]> = {};
for (const p of [...patterns, "UNFILTERED"]) {
  for (let rep = 0; rep < (p === "UNFILTERED" ? 100 : 1); rep++) {
  const q = vector();
  used = false;
  const r = await c.query({ queryEmbeddings: [q], nResults: 10, ...(p === "UNFILTERED" ? {} : { whereDocument: { $contains: p } }), include: [] });
  const m: { i: number; d: number }[] = [];
  for (let i = 0; i < N; i++) { if (p !== "UNFILTERED" && !docs[i]!.includes(p)) continue; let d = 0; for (let j = 0; j < DIM; j++) d += (vecs[i]![j]! - q[j]!) ** 2; m.push({ i, d }); }
  const exact = new Set(m.sort((a, b) => a.d - b.d).slice(0, 10).map((x) => `d${x.i}`));
  const key = p === "UNFILTERED" ? "unfiltered" : used ? "searchFirst" : m.length <= 3000 ? "exactScan" : "annAllow";
  stats[key] ??= [0, 0, 0];
  stats[key][0] += r.ids[0]!.filter((id) => exact.has(id)).length; stats[key][1] += exact.size; stats[key][2]++;
  }
}
for (const [k, [f, e, n]] of Object.entries(stats)) console.log(k, n, (f / e).toFixed(3));
await client.close();
