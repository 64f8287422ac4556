/**
 * `chromalite verify`: checks a closed data folder without changing it. SQLite's own integrity check;
 * then per collection: its rows (embedding sizes, metadata JSON, log positions), its saved vector
 * index (manifest, file sizes and CRC-32, parameters, counts: what the engine checks on open), that
 * index plus its catch-up from the log agreeing with SQLite record by record, and a sample of records
 * each found by a self-query with the same vector as SQLite's. `repairIndexes` rebuilds damaged
 * indexes from SQLite (the only repair there is: SQLite is the source of truth).
 */
import fs from "node:fs";
import { ChromaLiteError } from "../errors.js";
import { HnswIndex, hnswParams, indexDirOf } from "../vector/hnsw-index.js";
import type { Logger } from "../logger.js";
import { Engine } from "./engine.js";
import { FolderReader, readIndexFiles, type CollectionSummary, type StoredCollection } from "./inspect.js";

/** Records checked by a self-query per collection. */
export const DEFAULT_SAMPLE = 200;
const RID_PAGE = 10_000;
/** SQLite's integrity check can list thousands of broken cells; the first ones say enough. */
const INTEGRITY_LINES = 20;

export interface CollectionReport extends CollectionSummary {
  /** Records whose current vector is in the saved index. */
  indexed: number;
  /** Vectors the saved index lacks, caught up from the log on the next open. */
  pending: number;
  /** Records checked by a self-query, and how many were found with their own vector. */
  sampled: number;
  found: number;
  /** Damage: each is one line. */
  problems: string[];
  /** Not damage, worth knowing (e.g. an index not saved yet, rebuilt on the next open). */
  notes: string[];
  /** The damage is in the vector index only, so `repairIndexes` can fix it. */
  indexRepairable: boolean;
}

export interface VerifyReport {
  path: string;
  ok: boolean;
  sqlite: { ok: boolean; schemaVersion: number | undefined; problems: string[] };
  collections: CollectionReport[];
  /** Index folders of collections that no longer exist (removed by the engine's next open). */
  orphanIndexes: string[];
  /** Every problem, one line each, prefixed with where it is. */
  problems: string[];
  /** Other processes had the folder open: SQLite is checked as of one snapshot, index files as last saved. */
  inUse?: boolean;
}

export function collectionLabel(c: { tenant: string | null; database: string | null; name: string }): string {
  return `${c.tenant ?? "?"}/${c.database ?? "?"}/${c.name}`;
}


/** What hnswlib-node stores in the cosine space: the vector divided by its norm, in float32 arithmetic as it does. */
function normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum = Math.fround(sum + Math.fround(x * x));
  const norm = Math.fround(Math.sqrt(Math.abs(sum)));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

function sameVector(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1e-5 * Math.max(1, Math.abs(a[i]!))) return false;
  return true;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

async function verifyCollection(reader: FolderReader, c: StoredCollection, sampleSize: number): Promise<CollectionReport> {
  const report: CollectionReport = {
    tenant: c.tenant,
    database: c.database,
    name: c.name,
    id: c.id,
    count: 0,
    dimension: c.dimension,
    indexed: 0,
    pending: 0,
    sampled: 0,
    found: 0,
    problems: [],
    notes: [],
    indexRepairable: false,
  };
  const { problems } = report;
  if (c.tenant === null) problems.push("its database does not exist");
  if (!c.configuration) problems.push(`its configuration is unreadable (${c.configurationError ?? "?"})`);
  const count = (report.count = reader.countRecords(c.cid));
  if (c.dimension === null && count > 0) problems.push(`holds ${plural(count, "record")} but no dimension`);
  const rows = reader.recordChecks(c.cid, c.dimension, c.seq);
  if (rows.badEmbeddings > 0) problems.push(`${plural(rows.badEmbeddings, "embedding")} missing or of the wrong size (dimension ${c.dimension})`);
  if (rows.badMetadata > 0) problems.push(`${plural(rows.badMetadata, "record")} with unreadable metadata`);
  if (rows.aheadOfLog > 0) problems.push(`${plural(rows.aheadOfLog, "record")} newer than the collection's log position ${c.seq}`);
  if (rows.danglingFilterRows > 0) {
    problems.push(`${plural(rows.danglingFilterRows, "metadata index entry", "metadata index entries")} of records that do not exist`);
  }
  if (!c.configuration || c.dimension === null || c.tenant === null) {
    report.pending = count;
    return report;
  }

  const dir = reader.indexDir(c.id);
  const files = await readIndexFiles(dir);
  const indexProblems: string[] = [];
  if (files.state === "unreadable") indexProblems.push(files.error ?? "index manifest unreadable");
  if (files.state === "none") {
    report.pending = count;
    if (count > 0) report.notes.push(`index not saved yet: ${plural(count, "vector")} to index from SQLite on the next open`);
  }
  const manifest = files.manifest;
  let index: HnswIndex | undefined;
  if (manifest) {
    if (manifest.seq > c.seq) {
      indexProblems.push(`the index was saved at log position ${manifest.seq}, after SQLite's last write (${c.seq})`);
    }
    try {
      index = await HnswIndex.load(dir, manifest, hnswParams(c.configuration.hnsw, c.dimension));
    } catch (err) {
      indexProblems.push(err instanceof ChromaLiteError ? err.message : `index cannot be loaded: ${(err as Error).message}`);
    }
  }
  if (index && manifest && indexProblems.length === 0) {
    report.pending = reader.countVectorsAfter(c.cid, manifest.seq);
    // Every vector SQLite had when the index was saved must be in it; the rest is the catch-up.
    // Rowids are read a page at a time; the sample is taken evenly on the way.
    const stride = Math.max(1, Math.floor((count - report.pending) / sampleSize));
    const sample: number[] = [];
    let present = 0;
    let missing = 0;
    for (let after = 0; ; ) {
      const page = reader.ridsUpTo(c.cid, manifest.seq, after, RID_PAGE);
      if (page.length === 0) break;
      for (const rid of page) {
        if (!index.has(rid)) {
          missing++;
          continue;
        }
        if (present % stride === 0 && sample.length < sampleSize) sample.push(rid);
        present++;
      }
      after = page[page.length - 1]!;
    }
    report.indexed = present;
    if (missing > 0) indexProblems.push(`${plural(missing, "record")} saved before the index are missing from it`);
    // What else the index holds must have been deleted or rewritten since (the catch-up drops it).
    const replaced = reader.changedAfter(c.cid, manifest.seq).filter((rid) => index.has(rid)).length;
    const unexplained = index.liveCount - present - replaced;
    if (unexplained > 0) indexProblems.push(`the index holds ${plural(unexplained, "vector")} of records SQLite does not have`);

    const vectors = reader.embeddings(sample);
    const space = c.configuration.hnsw.space;
    index.setEfSearch(Math.max(c.configuration.hnsw.ef_search, 128));
    const k = Math.min(10, index.liveCount);
    let differ = 0;
    for (const rid of sample) {
      const vector = vectors.get(rid);
      if (!vector) continue;
      report.sampled++;
      const stored = index.storedVector(rid);
      if (!stored || !sameVector(space === "cosine" ? normalised(vector) : vector, stored)) {
        differ++;
        continue;
      }
      // Its distance to itself as hnswlib computes it: 0 in l2, 1 - |v|² in ip (not 0: in that space
      // a longer vector in the same direction is nearer than the record itself).
      const self = space === "l2" ? 0 : 1 - stored.reduce((sum, x) => sum + x * x, 0);
      if (!Number.isFinite(self)) {
        report.sampled--; // a degenerate vector (e.g. its norm overflows float32): no nearest neighbour to expect
        continue;
      }
      const hit = index.search(vector, k);
      // Found: the record itself, or something at least as near (duplicates, or the ip space).
      const best = hit.distances[0];
      if (hit.labels.includes(rid) || (best !== undefined && best <= self + 1e-4 * Math.max(1, Math.abs(self)))) report.found++;
    }
    if (differ > 0) indexProblems.push(`${plural(differ, "sampled record")} of ${report.sampled} have another vector in the index than in SQLite`);
    const lost = report.sampled - differ - report.found;
    // HNSW is approximate, but a record's own vector is essentially always found; a few misses in a
    // sample mean a damaged graph.
    if (lost > Math.max(1, Math.ceil(report.sampled * 0.02))) {
      indexProblems.push(`${plural(lost, "sampled record")} of ${report.sampled} not found by a query with their own vector`);
    }
  } else if (indexProblems.length > 0) {
    report.pending = count;
  }
  if (indexProblems.length > 0) {
    // Repairable by a rebuild only when SQLite's rows of the collection are sound.
    report.indexRepairable = problems.length === 0;
    problems.push(...indexProblems);
  }
  return report;
}

/**
 * Verifies the folder at `dir`. With `inUse`, also beside other processes that use it (the CLI and
 * the console do: writes made meanwhile can show as notes); without, a folder another process holds
 * exclusively is refused. Changes nothing.
 */
export async function verifyFolder(dir: string, opts: { sample?: number; inUse?: boolean } = {}): Promise<VerifyReport> {
  const sampleSize = Math.max(1, opts.sample ?? DEFAULT_SAMPLE);
  const reader = FolderReader.open(dir, { lock: opts.inUse ? "if-free" : "required" });
  const report: VerifyReport = {
    path: reader.dir,
    ok: true,
    sqlite: { ok: true, schemaVersion: undefined, problems: [] },
    collections: [],
    orphanIndexes: [],
    problems: [],
    ...(reader.inUse ? { inUse: true } : {}),
  };
  try {
    try {
      const lines = reader.integrityCheck(INTEGRITY_LINES + 1)
        .flatMap((row) => row.split("\n"))
        .filter((line) => line.trim() !== "" && !/^\*\*\* in database \w+ \*\*\*$/.test(line.trim()));
      if (!(lines.length === 1 && lines[0] === "ok")) {
        report.sqlite.problems.push(...lines.slice(0, INTEGRITY_LINES));
        if (lines.length > INTEGRITY_LINES) report.sqlite.problems.push(`(integrity check stopped after ${INTEGRITY_LINES} problems)`);
      }
      report.sqlite.schemaVersion = reader.schemaVersion();
    } catch (err) {
      report.sqlite.problems.push((err as Error).message);
    }
    let collections: StoredCollection[] | undefined;
    try {
      collections = reader.collections();
    } catch (err) {
      report.sqlite.problems.push(`cannot list the collections: ${(err as Error).message}`);
    }
    report.sqlite.ok = report.sqlite.problems.length === 0;
    for (const p of report.sqlite.problems) report.problems.push(`sqlite: ${p}`);
    for (const c of collections ?? []) {
      let cr: CollectionReport;
      try {
        cr = await verifyCollection(reader, c, sampleSize);
      } catch (err) {
        // SQLite pages of this collection are unreadable: nothing else can be checked.
        cr = {
          tenant: c.tenant, database: c.database, name: c.name, id: c.id, count: 0, dimension: c.dimension,
          indexed: 0, pending: 0, sampled: 0, found: 0, notes: [], indexRepairable: false,
          problems: [`cannot be read: ${(err as Error).message}`],
        };
      }
      report.collections.push(cr);
      for (const p of cr.problems) report.problems.push(`${collectionLabel(cr)} (${cr.id}): ${p}`);
    }
    if (collections) report.orphanIndexes = reader.orphanIndexDirs(collections.map((c) => c.id));
  } finally {
    reader.close();
  }
  report.ok = report.problems.length === 0;
  return report;
}

/**
 * Rebuilds the vector indexes of the given collections from SQLite: deletes their index folders, then
 * opens the folder with the engine, indexes every vector and closes (which saves). Changes the folder.
 */
export async function repairIndexes(dir: string, collectionIds: readonly string[], logger?: Logger): Promise<void> {
  // Alone: other processes hold these indexes in memory and would save them again.
  const engine = Engine.open({ path: dir, logger, exclusive: true });
  try {
    for (const id of collectionIds) {
      fs.rmSync(indexDirOf(engine.path, id), { recursive: true, force: true });
      await engine.run("repairIndex", { timeout: 0 }, (scope) => engine.waitForIndexing(id, scope));
    }
  } finally {
    await engine.close();
  }
}
