/**
 * Retrieval quality on Cranfield 1400 (real queries, real graded judgments): nDCG@10 and recall@100
 * of BM25 alone, dense alone (the GloVe model, through transformers.js) and hybrid (Rrf), all through
 * chromalite's `collection.search()`. Writes its section of docs/benchmarks.md.
 *
 *   npx tsx bench/text-quality.ts            # needs ../shared/data/{cranfield,models/glove-100d-sif}
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DefaultEmbeddingFunction, Knn, PersistentClient, Rrf } from "../src/index.js";
import { writeSection } from "./lib/doc-section.js";

const DATA = process.env.CHROMALITE_DATA ?? path.resolve(import.meta.dirname, "../../shared/data");
const CRAN = path.join(DATA, "cranfield");
const MODELS = path.join(DATA, "models");

interface Doc {
  id: string;
  text: string;
}

/** Splits a SMART-format file into records by `.I`, keeping the `.W` text. */
function parseSmart(file: string): { id: string; text: string }[] {
  const raw = fs.readFileSync(file, "utf8").replace(/\r\n/g, "\n");
  return raw
    .split(/^\.I /m)
    .slice(1)
    .map((rec) => {
      const id = rec.slice(0, rec.indexOf("\n")).trim();
      const w = rec.split(/^\.W\n/m)[1] ?? "";
      return { id, text: w.replace(/\s+/g, " ").trim() };
    });
}

/** Cleverdon grades 1 (complete answer) .. 4 (minimal interest) as gains 4 .. 1; anything else 0. */
function loadQrels(file: string): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    const [q, d, g] = line.trim().split(/\s+/).map(Number);
    if (q === undefined || d === undefined || g === undefined || Number.isNaN(g)) continue;
    const gain = g >= 1 && g <= 4 ? 5 - g : 0;
    if (gain === 0) continue;
    if (!out.has(q)) out.set(q, new Map());
    out.get(q)!.set(String(d), gain);
  }
  return out;
}

function ndcgAt(ranked: string[], rel: Map<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => (dcg += (2 ** (rel.get(id) ?? 0) - 1) / Math.log2(i + 2)));
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((g, i) => (idcg += (2 ** g - 1) / Math.log2(i + 2)));
  return idcg === 0 ? 0 : dcg / idcg;
}

function recallAt(ranked: string[], rel: Map<string, number>, k: number): number {
  const top = new Set(ranked.slice(0, k));
  let hit = 0;
  for (const id of rel.keys()) if (top.has(id)) hit++;
  return rel.size === 0 ? 0 : hit / rel.size;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const docs: Doc[] = parseSmart(path.join(CRAN, "cran.all.1400"));
  const queries = parseSmart(path.join(CRAN, "cran.qry"));
  const qrels = loadQrels(path.join(CRAN, "cranqrel"));
  const ef = new DefaultEmbeddingFunction({ modelPath: MODELS, modelName: "glove-100d-sif" });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-cranfield-"));
  const client = new PersistentClient({ path: dir, timeout: 0 });
  try {
    const c = await client.createCollection({ name: "cranfield", embeddingFunction: ef });
    const t = performance.now();
    for (let i = 0; i < docs.length; i += 500) {
      const batch = docs.slice(i, i + 500);
      // Two Cranfield abstracts are empty: GloVe has no token to average there, so they get a stand-in.
      const embeddings = await ef.generate(batch.map((d) => d.text || "untitled"));
      await c.add({ ids: batch.map((d) => d.id), documents: batch.map((d) => d.text), embeddings });
    }
    const ingestMs = performance.now() - t;

    // Queries by their 1-based position in cran.qry (what the qrels use); those with judgments only.
    const judged = queries.map((q, i) => ({ n: i + 1, text: q.text })).filter((q) => qrels.has(q.n));
    const depth = 100;
    const dense = (text: string, rank = false) => Knn({ query: text, limit: depth, returnRank: rank, ...(rank ? { default: depth } : {}) });
    const bm25 = (text: string, rank = false) =>
      Knn({ query: text, key: "#document", limit: depth, returnRank: rank, ...(rank ? { default: depth } : {}) });
    type System = { name: string; rank: (text: string) => Record<string, unknown> };
    const hybrid = (k: number, w: number): System => ({
      name: `hybrid: Rrf(k=${k}), weights ${w} BM25 / ${+(1 - w).toFixed(2)} dense`,
      rank: (q) => Rrf({ k, ranks: [bm25(q, true), dense(q, true)], weights: [w, 1 - w] }),
    });
    // Score fusion in the same API: BM25's (negative) score plus `a` × the cosine distance.
    const sum = (a: number): System => ({
      name: `hybrid: BM25 score + ${a} × dense distance`,
      rank: (q) => ({
        $sum: [Knn({ query: q, key: "#document", limit: depth, default: 0 }), { $mul: [{ $val: a }, Knn({ query: q, limit: depth, default: 1 })] }],
      }),
    });
    const evaluate = async (system: System, subset: typeof judged) => {
      const nd: number[] = [];
      const rc: number[] = [];
      const started = performance.now();
      for (const q of subset) {
        const r = await c.search({ rank: system.rank(q.text), limit: depth });
        const ranked = r.ids[0]!;
        nd.push(ndcgAt(ranked, qrels.get(q.n)!, 10));
        rc.push(recallAt(ranked, qrels.get(q.n)!, 100));
      }
      return { ndcg10: mean(nd), recall100: mean(rc), msPerQuery: (performance.now() - started) / subset.length };
    };

    // The fusion weights are chosen on the odd-numbered queries and checked on the even-numbered ones.
    const odd = judged.filter((q) => q.n % 2 === 1);
    const even = judged.filter((q) => q.n % 2 === 0);
    let best = hybrid(60, 0.5);
    let bestScore = -1;
    const sweep: string[] = [];
    const candidates: [string, System][] = [];
    for (const k of [10, 60]) for (const w of [0.5, 0.6, 0.7, 0.8, 0.9]) candidates.push([`Rrf k=${k} w=${w}`, hybrid(k, w)]);
    for (const a of [1, 2, 5, 10]) candidates.push([`sum a=${a}`, sum(a)]);
    for (const [label, h] of candidates) {
      const f = await evaluate(h, odd);
      sweep.push(`${label}: ${f.ndcg10.toFixed(3)}`);
      if (f.ndcg10 > bestScore) [best, bestScore] = [h, f.ndcg10];
    }
    let bestRrf = hybrid(60, 0.5);
    let bestRrfScore = -1;
    for (const [label, h] of candidates) {
      const score = Number(sweep.find((x) => x.startsWith(`${label}:`))!.split(": ")[1]);
      if (label.startsWith("Rrf") && score > bestRrfScore) [bestRrf, bestRrfScore] = [h, score];
    }
    console.log("sweep on odd queries (nDCG@10):", sweep.join("; "));

    const systems: System[] = [
      { name: "BM25 (FTS5, chroma_bm25 terms)", rank: (q) => bm25(q) },
      { name: "dense (GloVe 100d SIF, cosine)", rank: (q) => dense(q) },
      hybrid(60, 0.5),
      ...(bestRrf === best ? [] : [bestRrf]),
      best,
    ];
    const rows: string[] = [];
    for (const system of systems) {
      const all = await evaluate(system, judged);
      const held = await evaluate(system, even);
      rows.push(
        `| ${system.name} | ${all.ndcg10.toFixed(3)} | ${all.recall100.toFixed(3)} | ${held.ndcg10.toFixed(3)} | ${held.recall100.toFixed(3)} | ${all.msPerQuery.toFixed(1)} |`,
      );
      console.log(system.name, all, held);
    }
    const body = [
      `Cranfield 1400 (${docs.length} abstracts, ${judged.length} queries with judgments), every system through`,
      "`collection.search()` with `limit: 100`. Gains: Cleverdon grade 1..4 → 4..1 (exponential gain `2^g − 1`);",
      "recall@100 over all judged documents. Dense: `DefaultEmbeddingFunction` loading the local GloVe model",
      "(`glove-100d-sif`, weak but real semantics); the real MiniLM weights are not available offline.",
      "Hybrid: `Rrf` of the two `Knn` terms (`returnRank`, `limit: 100`, `default: 100` so that a record found",
      "by one ranking only still counts, as standard RRF), or the sum of BM25's score and `a` × the dense",
      "distance (arithmetic on two `Knn` terms). The tuned variants were chosen on the odd-numbered queries",
      `(nDCG@10 sweep: ${sweep.join("; ")});`,
      "the \"even\" columns are the held-out even-numbered queries.",
      "",
      "| system | nDCG@10 | recall@100 | nDCG@10 (even) | recall@100 (even) | ms / query |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      "The dense model here is weak (GloVe averages: half BM25's nDCG), so equal-weight RRF is worse than BM25",
      "alone; fusion tuned towards BM25 comes level with it on all queries but not on the held-out half (see the",
      "\"even\" columns). So the goal \"hybrid at least as good as the better of the two\" is not met with this",
      "dense model: a real sentence model (MiniLM, not available offline here) is what hybrid search pairs BM25 with.",
      "",
      `Ingest (embedding with GloVe + FTS indexing): ${(ingestMs / 1000).toFixed(1)} s for ${docs.length} documents.`,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, Node ${process.version}; one run (the quality figures are deterministic).`,
    ].join("\n");
    writeSection("text-quality", "Text retrieval quality (Cranfield)", body);
    console.log(body);
  } finally {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
