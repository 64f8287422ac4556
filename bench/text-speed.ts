/**
 * Full-text speed at 100k documents: a `query` filtered by `whereDocument: { $contains }` (trigram
 * prefilter, exact check) and BM25 `search`, p50/p99 over distinct queries (so that no result cache
 * answers them), next to the plain scan the prefilter replaces. Writes its section of docs/benchmarks.md.
 *
 *   npx tsx bench/text-speed.ts [N=100000]     # takes a few minutes; synthetic text from Cranfield's words
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Knn, PersistentClient } from "../src/index.js";
import { SQLITE_FILE } from "../src/store/sqlite-store.js";
import { writeSection } from "./lib/doc-section.js";
import { rng } from "../test/helpers/rng.js";
import { SHARED_DATA } from "../test/helpers/datasets.js";

const N = Number(process.argv[2] ?? 100_000);
const DIM = 64;
const DATA = SHARED_DATA;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const rand = rng(42);
  // Vocabulary and word frequencies from Cranfield, so documents read like abstracts (Zipfian words).
  const cran = fs.readFileSync(path.join(DATA, "cranfield/cran.all.1400"), "utf8").toLowerCase();
  const words = cran.match(/[a-z]{2,}/g)!;
  const pick = () => words[Math.floor(rand() * words.length)]!;
  const makeDoc = () => Array.from({ length: 40 + Math.floor(rand() * 80) }, pick).join(" ");
  const vector = () => Array.from({ length: DIM }, () => rand() * 2 - 1);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-text-speed-"));
  const client = new PersistentClient({ path: dir, timeout: 0 });
  try {
    const c = await client.createCollection({ name: "speed" });
    const docs: string[] = [];
    const vectors: number[][] = [];
    let t = performance.now();
    for (let i = 0; i < N; i += 2000) {
      const n = Math.min(2000, N - i);
      const batch = Array.from({ length: n }, makeDoc);
      docs.push(...batch);
      const embeddings = batch.map(vector);
      vectors.push(...embeddings);
      await c.add({ ids: batch.map((_, j) => `d${i + j}`), embeddings, documents: batch });
    }
    const ingestS = (performance.now() - t) / 1000;
    await c.waitForIndexing();

    // $contains patterns: distinct pairs of adjacent words actually in the documents, so every query is a
    // cache miss with a real answer. Words follow Cranfield's frequencies, so many pairs hold a stopword
    // and match thousands of records; others match one.
    const patterns = new Set<string>();
    while (patterns.size < 300) {
      const d = docs[Math.floor(rand() * docs.length)]!.split(" ");
      const at = Math.floor(rand() * (d.length - 1));
      patterns.add(rand() < 0.5 ? ` ${d[at]!} ${d[at + 1]!} ` : ` ${d[at]!} ${d[at + 1]!}`);
    }
    const containsMs: number[] = [];
    let matched = 0;
    let broad = 0;
    let narrow = 0;
    const answers: { pattern: string; query: number[]; ids: string[] }[] = [];
    for (const pattern of patterns) {
      const query = vector();
      t = performance.now();
      const r = await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: pattern }, include: ["distances"] });
      containsMs.push(performance.now() - t);
      matched += r.ids[0]!.length;
      answers.push({ pattern, query, ids: r.ids[0]! });
    }
    // Recall against the exact answer (brute force over the matching records), as the plans are approximate.
    let found = 0;
    let expected = 0;
    for (const { pattern, query, ids } of answers) {
      const matching: { i: number; d: number }[] = [];
      for (let i = 0; i < docs.length; i++) {
        if (!docs[i]!.includes(pattern)) continue;
        let d = 0;
        for (let j = 0; j < DIM; j++) d += (vectors[i]![j]! - query[j]!) ** 2;
        matching.push({ i, d });
      }
      if (matching.length > N / 100) broad++;
      if (matching.length <= 10) narrow++;
      const exact = new Set(matching.sort((a, b) => a.d - b.d).slice(0, 10).map((m) => `d${m.i}`));
      expected += exact.size;
      found += ids.filter((id) => exact.has(id)).length;
    }

    // For scale: recall of unfiltered queries on the same vectors (uniform random 64-d vectors are hard for HNSW).
    let plainFound = 0;
    for (let q = 0; q < 100; q++) {
      const query = vector();
      const r = await c.query({ queryEmbeddings: [query], nResults: 10, include: [] });
      const all = vectors.map((v, i) => {
        let d = 0;
        for (let j = 0; j < DIM; j++) d += (v[j]! - query[j]!) ** 2;
        return { i, d };
      });
      const exact = new Set(all.sort((a, b) => a.d - b.d).slice(0, 10).map((m) => `d${m.i}`));
      plainFound += r.ids[0]!.filter((id) => exact.has(id)).length;
    }

    // The same filters as a plain scan (what `$contains` costs without the prefilter), on a second connection.
    const scanDb = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
    const scanStmt = scanDb.prepare("SELECT rid FROM records WHERE cid = 1 AND instr(document, ?) > 0");
    const scanMs: number[] = [];
    for (const pattern of [...patterns].slice(0, 60)) {
      t = performance.now();
      scanStmt.all(pattern);
      scanMs.push(performance.now() - t);
    }
    scanDb.close();

    // BM25: distinct 2–4 word queries.
    const bm25Ms: number[] = [];
    for (let i = 0; i < 300; i++) {
      const q = Array.from({ length: 2 + Math.floor(rand() * 3) }, pick).join(" ");
      t = performance.now();
      await c.search({ rank: Knn({ query: q, key: "#document", limit: 10 }), select: ["#score"] });
      bm25Ms.push(performance.now() - t);
    }
    const size = fs.readdirSync(dir).filter((f) => f.startsWith(SQLITE_FILE)).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const f = (x: number) => x.toFixed(2);
    const containsP50 = percentile(containsMs, 50);
    const bm25P50 = percentile(bm25Ms, 50);
    const body = [
      `${N.toLocaleString("en")} synthetic documents (40–120 words drawn from Cranfield's word frequencies), ${DIM}-d random embeddings.`,
      "Each query is distinct (no result cache helps); times are wall-clock per call in process.",
      "",
      "| operation | p50 ms | p99 ms | queries |",
      "| --- | --- | --- | --- |",
      `| \`query\` (10 nearest) with \`whereDocument: { $contains }\` (word pairs) | ${f(containsP50)} | ${f(percentile(containsMs, 99))} | ${containsMs.length} |`,
      `| the same \`$contains\` as a plain \`instr\` scan (no prefilter), SQL only | ${f(percentile(scanMs, 50))} | ${f(percentile(scanMs, 99))} | ${scanMs.length} |`,
      `| BM25 \`search\` (\`Knn\` on \`#document\`, 2–4 words, top 10) | ${f(bm25P50)} | ${f(percentile(bm25Ms, 99))} | ${bm25Ms.length} |`,
      "",
      `Average results per \`$contains\` query: ${(matched / patterns.size).toFixed(1)} of 10.`,
      `Recall@10 of the \`$contains\` queries against the exact answer: ${(found / expected).toFixed(3)} (unfiltered queries on the same`,
      `vectors: ${(plainFound / 1000).toFixed(3)}; uniform random 64-d vectors are a hard case for HNSW, real embeddings are not).`,
      `Patterns matching over 1% of the records: ${broad} of ${patterns.size}; matching at most 10: ${narrow}.`,
      `Targets were p50 < 5 ms for the \`$contains\` query (${containsP50 < 5 ? "met" : "not met"}) and < 10 ms for BM25 (${bm25P50 < 10 ? "met" : "not met"}) in this run.`,
      "`$contains` looks up the phrase of the pattern's whole words in the BM25 index when it has two or more, else a",
      "few of its trigrams (chosen with a 300-document sample so that reading them costs less than the candidates they",
      "remove); it ranks the nearest candidates by distance and checks their documents with `instr`, nearest first,",
      "until 10 match (about 3 µs a document: the record is read). A pattern matching a few percent of the records is",
      "answered by searching HNSW first and checking the nearest few hundred documents. Still slow: one whole word",
      "next to a stopword or a cut-off word (only trigrams apply, and thousands of candidates hold few matches), and",
      "common words that match few records. BM25: each term's postings are scored once by FTS5's",
      "`bm25()` (about 1 µs per posting) and kept in memory (64 MiB, dropped when the collection's documents change);",
      "a query merges its terms' lists. The first query using a common term pays for scoring it (the p99); the",
      "benchmark starts with an empty cache, and its queries are distinct but share the corpus's common words.",
      `Ingest of ${N.toLocaleString("en")} documents (with both FTS indexes): ${ingestS.toFixed(0)} s; SQLite files ${(size / 2 ** 20).toFixed(0)} MiB.`,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, Node ${process.version}; one run on a shared machine (noisy).`,
    ].join("\n");
    writeSection("text-speed", `Full-text speed at ${N.toLocaleString("en")} documents`, body);
    console.log(body);
  } finally {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
