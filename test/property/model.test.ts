/**
 * Model-based property test, after Chroma's Hypothesis state machine (chromadb/test/property/
 * test_embeddings.py): random sequences of add / upsert / update / delete / get / query / reopen run
 * against chromalite and against an in-memory brute-force model, with the invariants checked after
 * every command. A small `sync_threshold` and bulk adds past the exact-scan limit make the ANN path,
 * background index saves, and reopen with catch-up (or rebuild, when the index files are damaged)
 * part of the runs.
 *
 * The runs are replayable: the seed is fixed (DEFAULT_SEED) unless FC_SEED gives another, and a
 * failure reports it. FC_NUM_RUNS raises the number of runs (default 25); FC_SEED replays a failing
 * seed; FC_SHRINK=1 shrinks a counterexample (slow) instead of reporting the first failure.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PersistentClient,
  type Collection,
  type Metadata,
  type Space,
  type Where,
  type WhereDocument,
} from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";
import { shortestF32 } from "../../src/util/float32.js";
// Up to these sizes a query is an exact scan (exact answers); above them HNSW (recall checked).
import { EXACT_SCAN_MAX_CANDIDATES, EXACT_SCAN_MAX_TOTAL } from "../../src/engine/reader.js";
import { rng } from "../helpers/rng.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 25);
/** A fixed seed, so that every run of the suite is the same run (and a failure replays as it is). */
const DEFAULT_SEED = 0x5eed_c0de;
const SEED = process.env.FC_SEED === undefined ? DEFAULT_SEED : Number(process.env.FC_SEED);
const DIM = 8;
const SYNC_THRESHOLD = 50;
const MIN_RECALL = 0.95;

// ------------------------------------------------------------------ the model

interface ModelRecord {
  embedding: number[];
  document: string | null;
  metadata: Metadata | null;
  uri: string | null;
}

interface Model {
  space: Space;
  records: Map<string, ModelRecord>;
  /** Ids in insertion order (what get() returns). */
  order: string[];
}

interface Real {
  dir: string;
  client: PersistentClient;
  collection: Collection;
}

/** Counts which query paths the runs went through, to check that the test exercises them. */
const stats = {
  runs: 0,
  commands: 0,
  exactQueries: 0,
  annQueries: 0,
  reopens: 0,
  damagedReopens: 0,
  /** Damaged reopens by kind of damage (each must have happened to a saved index). */
  damaged: { dropIndex: 0, truncateGraph: 0, corruptManifest: 0 },
  maxRecords: 0,
};

function dropNulls(metadata: Metadata): Metadata | null {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== null) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

function merge(old: Metadata | null, update: Metadata): Metadata | null {
  const out: Metadata = { ...(old ?? {}) };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function distance(space: Space, a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    l2 += (a[i]! - b[i]!) ** 2;
  }
  switch (space) {
    case "l2":
      return l2;
    case "ip":
      return 1 - dot;
    case "cosine":
      return 1 - dot / ((Math.sqrt(na) + 1e-30) * (Math.sqrt(nb) + 1e-30));
  }
}

/** Float32 rounding and the two ways of summing make computed distances differ in the last bits. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 + 1e-5 * Math.abs(b);

function scalarEquals(value: unknown, operand: unknown): boolean {
  return !Array.isArray(value) && typeof value === typeof operand && value === operand;
}

/** What a read returns for a record's metadata: a record with a uri and no metadata has {} (as in Chroma). */
const readMetadata = (r: { metadata: Metadata | null; uri: string | null }): Metadata | null => r.metadata ?? (r.uri !== null ? {} : null);

function matchesWhere(metadata: Metadata | null, where: Where): boolean {
  const w = where as Record<string, unknown>;
  if ("$and" in w) return (w.$and as Where[]).every((c) => matchesWhere(metadata, c));
  if ("$or" in w) return (w.$or as Where[]).some((c) => matchesWhere(metadata, c));
  const [key, operand] = Object.entries(w)[0]!;
  const value = metadata?.[key];
  if (typeof operand !== "object" || operand === null) return value !== undefined && scalarEquals(value, operand);
  const [op, arg] = Object.entries(operand)[0]! as [string, unknown];
  switch (op) {
    case "$eq":
      return value !== undefined && scalarEquals(value, arg);
    case "$ne":
      return !(value !== undefined && scalarEquals(value, arg));
    case "$gt":
      return typeof value === "number" && value > (arg as number);
    case "$gte":
      return typeof value === "number" && value >= (arg as number);
    case "$lt":
      return typeof value === "number" && value < (arg as number);
    case "$lte":
      return typeof value === "number" && value <= (arg as number);
    case "$in":
      return (arg as unknown[]).some((x) => value !== undefined && scalarEquals(value, x));
    case "$nin":
      return !(arg as unknown[]).some((x) => value !== undefined && scalarEquals(value, x));
    case "$contains":
      return Array.isArray(value) && (value as unknown[]).includes(arg);
    case "$not_contains":
      return !(Array.isArray(value) && (value as unknown[]).includes(arg));
  }
  throw new Error(`model: unknown operator ${op}`);
}

function matchesDocument(document: string | null, where: WhereDocument): boolean {
  const w = where as Record<string, unknown>;
  if ("$and" in w) return (w.$and as WhereDocument[]).every((c) => matchesDocument(document, c));
  if ("$or" in w) return (w.$or as WhereDocument[]).some((c) => matchesDocument(document, c));
  const [op, text] = Object.entries(w)[0]! as [string, string];
  switch (op) {
    case "$contains":
      return document !== null && document.includes(text);
    case "$not_contains":
      return document === null || !document.includes(text);
    case "$regex":
      return document !== null && new RegExp(text).test(document);
    case "$not_regex":
      return document === null || !new RegExp(text).test(document);
  }
  throw new Error(`model: unknown document operator ${op}`);
}

interface Filter {
  where?: Where;
  whereDocument?: WhereDocument;
}

function modelFilter(m: Model, filter: Filter): string[] {
  return m.order.filter((id) => {
    const r = m.records.get(id)!;
    return (
      (filter.where === undefined || matchesWhere(r.metadata, filter.where)) &&
      (filter.whereDocument === undefined || matchesDocument(r.document, filter.whereDocument))
    );
  });
}

// ------------------------------------------------------------------ invariants

async function checkInvariants(m: Model, r: Real): Promise<void> {
  expect(await r.collection.count()).toBe(m.order.length);
  const got = await r.collection.get({ include: ["documents", "metadatas", "embeddings", "uris"] });
  expect(new Set(got.ids).size).toBe(got.ids.length);
  expect(got.ids).toEqual(m.order);
  const want = m.order.map((id) => m.records.get(id)!);
  expect(got.embeddings).toEqual(want.map((w) => w.embedding.map(shortestF32)));
  expect(got.documents).toEqual(want.map((w) => w.document));
  expect(got.metadatas).toEqual(want.map(readMetadata));
  expect(got.uris).toEqual(want.map((w) => w.uri));
}

/**
 * Checks one query's answer against brute force over `candidates` (ids in insertion order). Exact
 * answers must equal brute force up to float noise, with ties in insertion order; ANN answers need
 * the recall, counted per returned id whose true distance is within the k-th best.
 */
function checkQueryAnswer(
  m: Model,
  query: number[],
  k: number,
  candidates: string[],
  ids: string[],
  distances: number[],
  exact: boolean,
): { hits: number; wanted: number } {
  const position = new Map(m.order.map((id, i) => [id, i]));
  const truth = candidates
    .map((id) => ({ id, d: distance(m.space, query, m.records.get(id)!.embedding) }))
    .sort((x, y) => x.d - y.d || position.get(x.id)! - position.get(y.id)!);
  const wanted = Math.min(k, truth.length);
  expect(ids).toHaveLength(wanted);
  expect(new Set(ids).size).toBe(ids.length);
  if (wanted === 0) return { hits: 0, wanted };
  const kth = truth[wanted - 1]!.d;
  let hits = 0;
  ids.forEach((id, i) => {
    expect(candidates.includes(id) || !m.records.has(id)).toBe(true);
    const record = m.records.get(id);
    expect(record).toBeDefined();
    const d = distance(m.space, query, record!.embedding);
    expect(close(distances[i]!, d)).toBe(true);
    if (d <= kth || close(d, kth)) hits++;
    if (i > 0) {
      expect(distances[i]!).toBeGreaterThanOrEqual(distances[i - 1]!);
      // Equal distances come back in insertion order.
      if (exact && distances[i] === distances[i - 1]) {
        expect(position.get(id)!).toBeGreaterThan(position.get(ids[i - 1]!)!);
      }
    }
  });
  if (exact) {
    expect(hits).toBe(wanted);
    // Everything strictly better than the k-th best is there.
    for (const t of truth) if (t.d < kth && !close(t.d, kth)) expect(ids).toContain(t.id);
  }
  return { hits, wanted };
}

// ------------------------------------------------------------------ generators

const ID_POOL = Array.from({ length: 30 }, (_, i) => `id${i}`);
const DOCUMENTS = ["apple pie", "Apple tart", "banana split", "cherry", "banana apple", ""];
const gridValue = fc.integer({ min: -8, max: 8 }).map((x) => x / 4);
const embeddingArb = fc.array(gridValue, { minLength: DIM, maxLength: DIM });

/** Keys with one type each, so that the model's filters stay unambiguous. */
const metadataValues = {
  k: fc.integer({ min: -3, max: 3 }),
  f: fc.integer({ min: -6, max: 6 }).map((x) => x / 2),
  s: fc.constantFrom("a", "b", "c"),
  flag: fc.boolean(),
  tags: fc.uniqueArray(fc.constantFrom("x", "y", "z"), { minLength: 1, maxLength: 3 }),
};

function metadataArb(withNulls: boolean): fc.Arbitrary<Metadata> {
  const field = <T,>(arb: fc.Arbitrary<T>) => (withNulls ? fc.option(arb, { nil: null, freq: 4 }) : arb);
  return fc
    .record(
      {
        k: field(metadataValues.k),
        f: field(metadataValues.f),
        s: field(metadataValues.s),
        flag: field(metadataValues.flag),
        tags: field(metadataValues.tags),
      },
      { requiredKeys: [] },
    )
    .filter((m) => Object.keys(m).length > 0);
}

const leafWhere: fc.Arbitrary<Where> = fc.oneof(
  metadataValues.k.map((v): Where => ({ k: v })),
  fc
    .tuple(fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"), metadataValues.k)
    .map(([op, v]): Where => ({ k: { [op]: v } as { $eq: number } })),
  fc.tuple(fc.constantFrom("$gt", "$lte"), metadataValues.f).map(([op, v]): Where => ({ f: { [op]: v } as { $gt: number } })),
  fc
    .tuple(fc.constantFrom("$in", "$nin"), fc.uniqueArray(metadataValues.k, { minLength: 1, maxLength: 3 }))
    .map(([op, v]): Where => ({ k: { [op]: v } as { $in: number[] } })),
  fc.tuple(fc.constantFrom("$eq", "$ne"), metadataValues.s).map(([op, v]): Where => ({ s: { [op]: v } as { $eq: string } })),
  fc.tuple(fc.constantFrom("$in", "$nin"), fc.uniqueArray(metadataValues.s, { minLength: 1, maxLength: 2 })).map(
    ([op, v]): Where => ({ s: { [op]: v } as { $in: string[] } }),
  ),
  metadataValues.flag.map((v): Where => ({ flag: v })),
  metadataValues.flag.map((v): Where => ({ flag: { $ne: v } })),
  fc
    .tuple(fc.constantFrom("$contains", "$not_contains"), fc.constantFrom("x", "y", "z"))
    .map(([op, v]): Where => ({ tags: { [op]: v } as { $contains: string } })),
);
const whereArb: fc.Arbitrary<Where> = fc.oneof(
  { weight: 4, arbitrary: leafWhere },
  { weight: 1, arbitrary: fc.tuple(leafWhere, leafWhere).map(([a, b]): Where => ({ $and: [a, b] })) },
  { weight: 1, arbitrary: fc.tuple(leafWhere, leafWhere).map(([a, b]): Where => ({ $or: [a, b] })) },
);
const whereDocumentArb: fc.Arbitrary<WhereDocument> = fc.oneof(
  fc.constantFrom("apple", "Apple", "banana", "", "pie").map((t): WhereDocument => ({ $contains: t })),
  fc.constantFrom("apple", "banana", "").map((t): WhereDocument => ({ $not_contains: t })),
  fc.constantFrom("^banana", "pie$", "[Aa]pple").map((t): WhereDocument => ({ $regex: t })),
  fc.constantFrom("^banana", "e").map((t): WhereDocument => ({ $not_regex: t })),
);
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  { weight: 3, arbitrary: whereArb.map((where): Filter => ({ where })) },
  { weight: 1, arbitrary: whereDocumentArb.map((whereDocument): Filter => ({ whereDocument })) },
  { weight: 1, arbitrary: fc.tuple(whereArb, whereDocumentArb).map(([where, whereDocument]): Filter => ({ where, whereDocument })) },
);

interface Batch {
  ids: string[];
  embeddings?: number[][];
  documents?: (string | null)[];
  metadatas?: (Metadata | null)[];
  uris?: (string | null)[];
}

/** A batch of unique pool ids with optional columns; `withNulls` allows null metadata values (delete a key). */
function batchArb(opts: { embeddings: "always" | "maybe"; withNulls: boolean }): fc.Arbitrary<Batch> {
  return fc.uniqueArray(fc.constantFrom(...ID_POOL), { minLength: 1, maxLength: 8 }).chain((ids) => {
    const n = ids.length;
    const column = <T,>(arb: fc.Arbitrary<T>) => fc.option(fc.array(arb, { minLength: n, maxLength: n }), { nil: undefined });
    return fc.record({
      ids: fc.constant(ids),
      embeddings:
        opts.embeddings === "always"
          ? fc.array(embeddingArb, { minLength: n, maxLength: n })
          : column(embeddingArb),
      documents: column(fc.option(fc.constantFrom(...DOCUMENTS), { nil: null, freq: 5 })),
      metadatas: column(fc.option(metadataArb(opts.withNulls), { nil: null, freq: 5 })),
      uris: column(fc.option(fc.constantFrom("file:///a", "http://b"), { nil: null, freq: 3 })),
    });
  });
}

function describeBatch(b: Batch): string {
  return JSON.stringify(b);
}

// ------------------------------------------------------------------ commands

type Cmd = fc.AsyncCommand<Model, Real>;

function insert(m: Model, id: string, b: Batch, i: number): void {
  const metadata = b.metadatas?.[i];
  m.records.set(id, {
    embedding: b.embeddings![i]!,
    document: b.documents?.[i] ?? null,
    metadata: metadata ? dropNulls(metadata) : null,
    uri: b.uris?.[i] ?? null,
  });
  m.order.push(id);
}

function overwrite(m: Model, id: string, b: Batch, i: number): void {
  const r = m.records.get(id)!;
  if (b.embeddings) r.embedding = b.embeddings[i]!;
  const document = b.documents?.[i];
  if (document !== undefined && document !== null) r.document = document;
  const uri = b.uris?.[i];
  if (uri !== undefined && uri !== null) r.uri = uri;
  const metadata = b.metadatas?.[i];
  if (metadata) r.metadata = merge(r.metadata, metadata);
}

function removeIds(m: Model, ids: Set<string>): void {
  for (const id of ids) m.records.delete(id);
  m.order = m.order.filter((id) => !ids.has(id));
}

class AddCommand implements Cmd {
  constructor(readonly batch: Batch) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.collection.add(this.batch);
    this.batch.ids.forEach((id, i) => {
      if (!m.records.has(id)) insert(m, id, this.batch, i);
    });
    await checkInvariants(m, r);
  }
  toString = () => `add(${describeBatch(this.batch)})`;
}

class UpsertCommand implements Cmd {
  constructor(readonly batch: Batch) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.collection.upsert(this.batch);
    this.batch.ids.forEach((id, i) => {
      if (m.records.has(id)) overwrite(m, id, this.batch, i);
      else insert(m, id, this.batch, i);
    });
    await checkInvariants(m, r);
  }
  toString = () => `upsert(${describeBatch(this.batch)})`;
}

class UpdateCommand implements Cmd {
  constructor(readonly batch: Batch) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // Without an embedding function, documents can only be updated together with embeddings.
    const batch = this.batch.embeddings ? this.batch : { ...this.batch, documents: undefined };
    if (!batch.embeddings && !batch.metadatas && !batch.uris) return;
    await r.collection.update(batch);
    batch.ids.forEach((id, i) => {
      if (m.records.has(id)) overwrite(m, id, batch, i);
    });
    await checkInvariants(m, r);
  }
  toString = () => `update(${describeBatch(this.batch)})`;
}

class BulkAddCommand implements Cmd {
  constructor(
    readonly n: number,
    readonly seed: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const rand = rng(this.seed);
    const ids = Array.from({ length: this.n }, (_, i) => `b${this.seed}-${i}`);
    const batch: Batch = {
      ids,
      embeddings: ids.map(() => Array.from({ length: DIM }, () => Math.fround(rand() * 4 - 2))),
      documents: ids.map((_, i) => (i % 5 === 0 ? null : DOCUMENTS[i % DOCUMENTS.length]!)),
      metadatas: ids.map((_, i) => (i % 7 === 0 ? null : { k: (i % 7) - 3, s: ["a", "b", "c"][i % 3]!, tags: i % 2 ? ["x"] : ["y", "z"] })),
    };
    for (let i = 0; i < ids.length; i += 500) {
      await r.collection.add({
        ids: ids.slice(i, i + 500),
        embeddings: batch.embeddings!.slice(i, i + 500),
        documents: batch.documents!.slice(i, i + 500),
        metadatas: batch.metadatas!.slice(i, i + 500),
      });
    }
    ids.forEach((id, i) => {
      if (!m.records.has(id)) insert(m, id, batch, i);
    });
    await checkInvariants(m, r);
  }
  toString = () => `bulkAdd(${this.n}, seed ${this.seed})`;
}

class DeleteIdsCommand implements Cmd {
  constructor(readonly ids: string[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const result = await r.collection.delete({ ids: this.ids });
    const existing = new Set(this.ids.filter((id) => m.records.has(id)));
    expect(result.deleted).toBe(existing.size);
    removeIds(m, existing);
    await checkInvariants(m, r);
  }
  toString = () => `delete(ids ${JSON.stringify(this.ids)})`;
}

/** Deletes a pseudo-random share of the current records (bulk ones included), chosen when it runs. */
class DeleteSomeCommand implements Cmd {
  constructor(
    readonly share: number,
    readonly seed: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const rand = rng(this.seed);
    const ids = m.order.filter(() => rand() < this.share);
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += 2000) await r.collection.delete({ ids: ids.slice(i, i + 2000) });
    removeIds(m, new Set(ids));
    await checkInvariants(m, r);
  }
  toString = () => `deleteSome(${this.share}, seed ${this.seed})`;
}

class DeleteWhereCommand implements Cmd {
  constructor(
    readonly filter: Filter,
    readonly ids: string[] | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    let matched = modelFilter(m, this.filter);
    if (this.ids) matched = matched.filter((id) => this.ids!.includes(id));
    const result = await r.collection.delete({ ...this.filter, ids: this.ids });
    expect(result.deleted).toBe(matched.length);
    removeIds(m, new Set(matched));
    await checkInvariants(m, r);
  }
  toString = () => `delete(${JSON.stringify({ ...this.filter, ids: this.ids })})`;
}

class GetCommand implements Cmd {
  constructor(
    readonly filter: Filter,
    readonly ids: string[] | undefined,
    readonly limit: number | undefined,
    readonly offset: number | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    let expected = modelFilter(m, this.filter);
    if (this.ids) expected = expected.filter((id) => this.ids!.includes(id));
    const offset = this.offset ?? 0;
    expected = expected.slice(offset, this.limit === undefined ? undefined : offset + this.limit);
    const got = await r.collection.get({ ...this.filter, ids: this.ids, limit: this.limit, offset: this.offset, include: ["metadatas", "documents"] });
    expect(got.ids).toEqual(expected);
    expect(got.metadatas).toEqual(expected.map((id) => readMetadata(m.records.get(id)!)));
    expect(got.documents).toEqual(expected.map((id) => m.records.get(id)!.document));
  }
  toString = () => `get(${JSON.stringify({ ...this.filter, ids: this.ids, limit: this.limit, offset: this.offset })})`;
}

class QueryCommand implements Cmd {
  constructor(
    readonly queries: number[][],
    readonly k: number,
    readonly filter: Filter | undefined,
    readonly nearStored: number[],
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // Besides random points, query at (or near) stored vectors: the hardest case for ties.
    const queries = [...this.queries];
    for (const pick of this.nearStored) {
      if (m.order.length === 0) break;
      queries.push(m.records.get(m.order[pick % m.order.length]!)!.embedding);
    }
    if (queries.length === 0) return;
    const candidates = this.filter ? modelFilter(m, this.filter) : m.order;
    const exact =
      m.order.length <= EXACT_SCAN_MAX_TOTAL || (this.filter !== undefined && candidates.length <= EXACT_SCAN_MAX_CANDIDATES);
    const result = await r.collection.query({
      queryEmbeddings: queries,
      nResults: this.k,
      ...this.filter,
      include: ["distances", "documents", "metadatas"],
    });
    expect(result.ids).toHaveLength(queries.length);
    let hits = 0;
    let wanted = 0;
    queries.forEach((q, qi) => {
      const c = checkQueryAnswer(m, q, this.k, candidates, result.ids[qi]!, result.distances[qi]! as number[], exact);
      hits += c.hits;
      wanted += c.wanted;
      result.ids[qi]!.forEach((id, j) => {
        expect(result.documents[qi]![j]).toEqual(m.records.get(id)!.document);
        expect(result.metadatas[qi]![j]).toEqual(readMetadata(m.records.get(id)!));
      });
    });
    if (wanted > 0) expect(hits / wanted).toBeGreaterThanOrEqual(MIN_RECALL);
    if (exact) stats.exactQueries++;
    else stats.annQueries++;
  }
  toString = () => `query(${JSON.stringify({ queries: this.queries, k: this.k, filter: this.filter, nearStored: this.nearStored })})`;
}

class WaitForIndexingCommand implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.collection.waitForIndexing();
    const status = await r.collection.getIndexingStatus();
    expect(status).toMatchObject({ num_unindexed_ops: 0, total_ops: m.order.length });
  }
  toString = () => "waitForIndexing()";
}

class FlushCommand implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.client.flush();
    await checkInvariants(m, r);
  }
  toString = () => "flush()";
}

type Damage = "none" | "dropIndex" | "truncateGraph" | "corruptManifest";

/** Closes the client and opens a new one on the folder, optionally damaging the index files in between. */
class ReopenCommand implements Cmd {
  constructor(readonly damage: Damage) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.client.close();
    const indexDir = path.join(r.dir, "index", r.collection.id);
    if (this.damage !== "none" && fs.existsSync(path.join(indexDir, "index.json"))) {
      stats.damagedReopens++;
      stats.damaged[this.damage]++;
      if (this.damage === "dropIndex") fs.rmSync(indexDir, { recursive: true, force: true });
      if (this.damage === "corruptManifest") fs.writeFileSync(path.join(indexDir, "index.json"), "{");
      if (this.damage === "truncateGraph") {
        // An earlier damage may still be in place (nothing rewrites the index of an unloaded collection).
        const manifest = readJson(path.join(indexDir, "index.json")) as { graph?: { name: string } } | undefined;
        const graph = manifest?.graph && path.join(indexDir, manifest.graph.name);
        if (graph && fs.existsSync(graph)) fs.truncateSync(graph, 100);
      }
    }
    r.client = new PersistentClient({ path: r.dir });
    r.collection = await r.client.getCollection({ name: "model" });
    stats.reopens++;
    expect(r.collection.configuration.hnsw).toMatchObject({ space: m.space, sync_threshold: SYNC_THRESHOLD });
    await checkInvariants(m, r);
  }
  toString = () => `reopen(${this.damage})`;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

const idSubset = fc.uniqueArray(fc.constantFrom(...ID_POOL, "missing-1"), { minLength: 1, maxLength: 6 });

const commandArbs: fc.Arbitrary<Cmd>[] = [
  batchArb({ embeddings: "always", withNulls: false }).map((b) => new AddCommand(b)),
  batchArb({ embeddings: "always", withNulls: true }).map((b) => new UpsertCommand(b)),
  batchArb({ embeddings: "maybe", withNulls: true }).map((b) => new UpdateCommand(b)),
  fc.tuple(fc.integer({ min: 150, max: 700 }), fc.integer({ min: 1, max: 1 << 30 })).map(([n, seed]) => new BulkAddCommand(n, seed)),
  idSubset.map((ids) => new DeleteIdsCommand(ids)),
  fc.tuple(fc.constantFrom(0.05, 0.3), fc.integer({ min: 1, max: 1 << 30 })).map(([share, seed]) => new DeleteSomeCommand(share, seed)),
  fc.tuple(filterArb, fc.option(idSubset, { nil: undefined, freq: 3 })).map(([f, ids]) => new DeleteWhereCommand(f, ids)),
  fc
    .tuple(
      fc.oneof(fc.constant<Filter>({}), filterArb),
      fc.option(idSubset, { nil: undefined, freq: 3 }),
      fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    )
    .map(([f, ids, limit, offset]) => new GetCommand(f, ids, limit, offset)),
  fc
    .tuple(
      fc.array(embeddingArb, { minLength: 0, maxLength: 3 }),
      fc.integer({ min: 1, max: 12 }),
      fc.option(filterArb, { nil: undefined, freq: 3 }),
      fc.array(fc.nat(), { maxLength: 2 }),
    )
    .map(([queries, k, filter, nearStored]) => new QueryCommand(queries, k, filter, nearStored)),
  fc.constant(new WaitForIndexingCommand()),
  fc.constant(new FlushCommand()),
  fc.constantFrom<Damage>("none", "none", "dropIndex", "truncateGraph", "corruptManifest").map((d) => new ReopenCommand(d)),
];

// ------------------------------------------------------------------ the property

const runArb = fc.record({
  space: fc.constantFrom<Space>("l2", "l2", "cosine"),
  /** Some runs start past the exact-scan limit, so that every later query there goes through HNSW. */
  initialBulk: fc.constantFrom(0, 0, 1100),
  commands: fc.commands(commandArbs, { size: "+1", maxCommands: 30 }),
});

describe("chromalite against an in-memory model", () => {
  it(
    "every command sequence keeps count, contents, order, filters and query answers equal to the model",
    async () => {
      await fc.assert(
        fc.asyncProperty(runArb, async ({ space, initialBulk, commands }) => {
          const dir = tempDir("chromalite-model-");
          const client = new PersistentClient({ path: dir });
          const collection = await client.createCollection({
            name: "model",
            configuration: { hnsw: { space, sync_threshold: SYNC_THRESHOLD } },
          });
          const real: Real = { dir, client, collection };
          const model: Model = { space, records: new Map(), order: [] };
          try {
            if (initialBulk > 0) await new BulkAddCommand(initialBulk, 12345).run(model, real);
            await fc.asyncModelRun(() => ({ model, real }), commands);
            stats.runs++;
            stats.commands += [...commands].length;
            stats.maxRecords = Math.max(stats.maxRecords, model.order.length);
            // End with a query through whatever path the collection is on now, after indexing.
            await new WaitForIndexingCommand().run(model, real);
            await new QueryCommand([[1, 0, -1, 0.5, 0, 0, 2, -2]], 10, undefined, [0, 7]).run(model, real);
          } finally {
            await real.client.close();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: NUM_RUNS, seed: SEED, endOnFailure: !process.env.FC_SHRINK },
      );
      // The runs must have gone through both query paths, through reopens, and through reopens over
      // each kind of damage to a saved index (which the next open must detect and rebuild).
      expect(stats.annQueries).toBeGreaterThan(0);
      expect(stats.exactQueries).toBeGreaterThan(0);
      expect(stats.reopens).toBeGreaterThan(0);
      expect(stats.damagedReopens).toBeGreaterThan(0);
      for (const [damage, n] of Object.entries(stats.damaged)) expect(n, `reopens after ${damage}`).toBeGreaterThan(0);
    },
    600_000,
  );
});
