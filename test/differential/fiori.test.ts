/**
 * Differential test on real data: 778 all-MiniLM-L6-v2 vectors (384-d) of the SAP Fiori docs with
 * their texts and metadata (../shared/data/fiori-docs-minilm, see its SOURCE.txt), loaded into
 * chromalite and into the real Chroma server; then the same gets, filters and queries on both.
 *
 * Both collections use ef_search 1000 (more than the records), so Chroma's HNSW search is exhaustive
 * and its answers are exact, as chromalite's are at this size: any difference is a real one.
 * Deliberate and open differences are listed at the top of ./harness.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "vitest";
import { sharedData } from "../helpers/datasets.js";
import { oracleAvailable } from "../helpers/oracle.js";
import {
  bothOk,
  compareContents,
  compareGet,
  compareQueryResults,
  onBoth,
  same,
  uniqueName,
  usePair,
  type LooseCollection,
} from "./harness.js";

const oracle = await oracleAvailable();
const data = sharedData("fiori-docs-minilm");
const DIM = 384;

interface Row {
  id: string;
  content: string;
  title: string;
  category: string;
  document_id: string;
  chunk_index: number;
  totalChunks: number;
  wordCount: number;
  tags_json: string;
}

function load(dir: string) {
  const rows = fs
    .readFileSync(path.join(dir, "records.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Row);
  const buf = fs.readFileSync(path.join(dir, "embeddings.bin"));
  if (buf.length !== rows.length * DIM * 4) throw new Error(`embeddings.bin holds ${buf.length} bytes, expected ${rows.length} x ${DIM} float32`);
  const embeddings = rows.map((_, i) => Array.from({ length: DIM }, (_, j) => buf.readFloatLE((i * DIM + j) * 4)));
  return {
    ids: rows.map((r) => r.id),
    embeddings,
    documents: rows.map((r) => r.content),
    // Integers only among the numbers: see "Chroma bugs avoided" in harness.ts.
    metadatas: rows.map((r) => ({
      title: r.title,
      category: r.category,
      document_id: r.document_id,
      chunk_index: r.chunk_index,
      wordCount: r.wordCount,
      tags: JSON.parse(r.tags_json) as string[],
    })),
  };
}

type Records = ReturnType<typeof load>;

const missing = data.exists ? "" : ` (skipped: ${data.path} is missing)`;
const skipped = !oracle.ok ? ` (skipped: ${oracle.reason})` : missing;

describe.skipIf(!oracle.ok || !data.exists)(`real data (fiori-docs-minilm) vs Chroma${skipped}`, () => {
  const pair = usePair();

  const WHERES: Record<string, unknown>[] = [
    { category: "Sapui5" },
    { category: { $in: ["Fiori Samples", "Create README", "Opa5 Docu"] } },
    { category: { $ne: "Sapui5" } },
    { tags: { $contains: "annotations" } },
    { tags: { $not_contains: "fiori-elements-framework" } },
    { wordCount: { $gt: 250 } },
    { wordCount: { $lte: 120 } },
    { $and: [{ tags: { $contains: "CAP" } }, { wordCount: { $gte: 150 } }] },
    { $or: [{ category: "Fiori Showcase" }, { tags: { $contains: "ABAP" } }, { wordCount: { $lt: 60 } }] },
    { document_id: { $nin: ["local-btp-fiori-tools-0", "local-btp-fiori-tools-5"] } },
    { missing_key: { $ne: "x" } },
  ];
  const WHERE_DOCUMENTS: Record<string, unknown>[] = [
    { $contains: "annotation" },
    { $not_contains: "SAPUI5" },
    { $regex: "(?i)odata v4" },
    { $and: [{ $contains: "manifest.json" }, { $not_regex: "\\bCAP\\b" }] },
    { $or: [{ $contains: "Cloud Foundry" }, { $regex: "^\\*\\*TITLE\\*\\*: Deploy" }] },
  ];

  async function loaded(space: "cosine" | "l2" | "ip", records: Records): Promise<[LooseCollection, LooseCollection]> {
    const { lite, oracle } = pair();
    const args = { name: uniqueName(`fiori-${space}`), configuration: { hnsw: { space, ef_search: 1000 } } };
    const [a, b] = bothOk(...(await onBoth(lite, oracle, (c) => c.createCollection(args))), "create");
    bothOk(...(await onBoth(a, b, (c) => c.add(records))), "add 778 records");
    return [a, b];
  }

  async function compareQueries(a: LooseCollection, b: LooseCollection, records: Records, label: string): Promise<void> {
    const pick = (i: number) => records.embeddings[(i * 97) % records.ids.length]!;
    // Only ids that exist (a missing one fails on Chroma: a deliberate difference).
    const existing = new Set((await b.get({ include: [] })).ids);
    // Between two records: a query vector that is not stored.
    const mixed = (i: number) => pick(i).map((x, j) => (x + pick(i + 1)[j]!) / 2);
    const queries: [string, Record<string, unknown>][] = [
      ["stored vectors", { queryEmbeddings: [pick(0), pick(1), pick(2)], nResults: 10 }],
      ["mixed vectors, all fields", { queryEmbeddings: [mixed(3), mixed(5)], nResults: 8, include: ["documents", "metadatas", "embeddings", "distances"] }],
      ["nResults past the count", { queryEmbeddings: [mixed(7)], nResults: 1000, include: ["distances"] }],
      ["ids subset", { queryEmbeddings: [mixed(9)], ids: records.ids.filter((id, i) => i % 7 === 0 && existing.has(id)), nResults: 12 }],
      ...WHERES.map((where, i): [string, Record<string, unknown>] => [`where ${JSON.stringify(where)}`, { queryEmbeddings: [mixed(11 + i)], where, nResults: 10 }]),
      ...WHERE_DOCUMENTS.map((whereDocument, i): [string, Record<string, unknown>] => [
        `whereDocument ${JSON.stringify(whereDocument)}`,
        { queryEmbeddings: [pick(31 + i)], whereDocument, nResults: 10, include: ["distances", "metadatas"] },
      ]),
      ["where and whereDocument", { queryEmbeddings: [mixed(40)], where: { category: "Sapui5" }, whereDocument: { $contains: "table" }, nResults: 15 }],
    ];
    for (const [name, args] of queries) {
      const what = `${label}: query, ${name}`;
      // Every one of these is a valid query: both must answer it.
      const [qa, qb] = bothOk(...(await onBoth(a, b, (c) => c.query(args))), what);
      await compareQueryResults(qa, qb, a, b, args, what);
    }
  }

  async function compareGets(a: LooseCollection, b: LooseCollection, label: string): Promise<void> {
    const gets: Record<string, unknown>[] = [
      ...WHERES.map((where) => ({ where, include: ["metadatas"] })),
      ...WHERE_DOCUMENTS.map((whereDocument) => ({ whereDocument, include: [] })),
      { where: { tags: { $contains: "annotations" } }, limit: 25, offset: 40, include: ["documents", "metadatas"] },
      { ids: ["local-btp-fiori-tools-5-chunk-0", "not-there", "local-btp-fiori-tools-0-chunk-0"] },
    ];
    for (const args of gets) {
      const what = `${label}: get ${JSON.stringify(args)}`;
      const [ga, gb] = bothOk(...(await onBoth(a, b, (c) => c.get(args))), what);
      compareGet(ga, gb, what);
    }
    const [pa, pb] = bothOk(...(await onBoth(a, b, (c) => c.peek({ limit: 5 }))), `${label}: peek`);
    same(pa.ids.length, 5, `${label}: peek size`);
    compareGet(pa, pb, `${label}: peek`);
    const [na, nb] = bothOk(...(await onBoth(a, b, (c) => c.count())), `${label}: count`);
    same(na, nb, `${label}: count`);
  }

  // cosine: the space these unit-length MiniLM vectors are meant for (l2 would rank them alike).
  it.each(["cosine"] as const)("agree on gets, filters and queries (%s)", async (space) => {
    const records = load(data.path);
    const [a, b] = await loaded(space, records);
    await compareContents(a, b, `${space}: contents`);
    await compareGets(a, b, space);
    await compareQueries(a, b, records, space);
    // Then change some: delete by filter, update metadata, upsert, and compare again.
    bothOk(...(await onBoth(a, b, (c) => c.delete({ where: { category: "Fiori Samples" } }))), "delete by filter");
    const ids = records.ids.filter((_, i) => i % 50 === 3);
    const update = { ids, metadatas: ids.map((_, i) => ({ reviewed: true, wordCount: i })) };
    bothOk(...(await onBoth(a, b, (c) => c.update(update))), "update metadata");
    const upsert = { ids: [records.ids[1]!, "new-record"], embeddings: [records.embeddings[2]!, records.embeddings[3]!], documents: ["replaced", "new"] };
    bothOk(...(await onBoth(a, b, (c) => c.upsert(upsert))), "upsert");
    await compareContents(a, b, `${space}: contents after changes`);
    await compareGets(a, b, `${space} after changes`);
    await compareQueries(a, b, records, `${space} after changes`);
  });
});
