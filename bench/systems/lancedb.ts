/**
 * LanceDB, the embedded peer a Node user would otherwise pick. Not a dependency of chromalite: the
 * harness installs `@lancedb/lancedb@0.31.0` into the peers cache (lib/peers.ts) and loads it by
 * path. The types below are the few calls used, written here so type-checking does not need it.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { ensurePeer, LANCEDB } from "../lib/peers.js";
import type { Dataset, FilterSpec } from "../lib/datasets.js";
import { HNSW, type Handle, type SystemContext, type SystemDef } from "./types.js";

interface LanceQuery {
  where(predicate: string): this;
  select(columns: string[]): this;
  limit(n: number): this;
  toArray(): Promise<Record<string, unknown>[]>;
}
interface LanceVectorQuery extends LanceQuery {
  distanceType(d: string): this;
  ef(ef: number): this;
  refineFactor(f: number): this;
}
interface LanceTable {
  add(rows: Record<string, unknown>[]): Promise<unknown>;
  createIndex(column: string, options?: { config?: unknown; replace?: boolean }): Promise<void>;
  optimize(options?: Record<string, unknown>): Promise<unknown>;
  vectorSearch(v: number[]): LanceVectorQuery;
  query(): LanceQuery;
  close(): void;
}
interface LanceConnection {
  createTable(name: string, rows: Record<string, unknown>[]): Promise<LanceTable>;
  openTable(name: string): Promise<LanceTable>;
  close(): void;
}
interface LanceModule {
  connect(uri: string): Promise<LanceConnection>;
  Index: {
    hnswSq(options: Record<string, unknown>): unknown;
    btree(): unknown;
  };
}

const TABLE = "bench";
/** Below this many rows no vector index is built: LanceDB then scans exactly (its advice for small tables). */
const MIN_INDEXED_ROWS = 10_000;
/** Re-rank this many times k candidates with the full vectors: lifts SQ's recall close to the others'. */
const REFINE = 2;

let lance: LanceModule | undefined;

function where(f: FilterSpec): string {
  return `${f.key} = ${f.value}`;
}

function handle(db: LanceConnection, table: LanceTable | undefined, ds: Dataset): Handle {
  let t = table;
  let ef: number = HNSW.efSearch;
  // Every field but the vector, as the Chroma-API systems return documents and metadata.
  const columns = ["id", "document", ...Object.keys(ds.metadatas[0] ?? {})];
  const indexed = ds.meta.n >= MIN_INDEXED_ROWS;
  const rows = (res: Record<string, unknown>[]) => res.map((r) => ds.rowOf.get(String(r.id)) ?? -1);
  const search = (q: number[], k: number, fields = columns) => {
    // `_distance` named explicitly, as LanceDB asks (it warns on every query otherwise).
    let s = t!.vectorSearch(q).distanceType(ds.meta.space).select([...fields, "_distance"]).limit(k);
    // LanceDB refuses an ef below the number of candidates it fetches (k × refine factor).
    if (indexed) s = s.ef(Math.max(ef, k * REFINE)).refineFactor(REFINE);
    return s;
  };
  return {
    async add(b) {
      const batch = b.ids.map((id, i) => ({ id, vector: b.embeddings[i]!, document: b.documents[i]!, ...b.metadatas[i]! }));
      if (!t) t = await db.createTable(TABLE, batch);
      else await t.add(batch);
    },
    async waitIndexed() {
      // A hundred appends leave a hundred fragments: compact them, as LanceDB advises after bulk loads.
      await t!.optimize();
      if (indexed) {
        await t!.createIndex("vector", {
          config: lance!.Index.hnswSq({ distanceType: ds.meta.space, numPartitions: 1, m: HNSW.m, efConstruction: HNSW.efConstruction }),
        });
      }
      await t!.createIndex("id", { config: lance!.Index.btree() });
      // BTREE, not BITMAP: the inferred column type is Float64, which BITMAP refuses.
      await t!.createIndex("bucket10", { config: lance!.Index.btree() });
      await t!.createIndex("bucket100", { config: lance!.Index.btree() });
    },
    query: async (q, k, filter) => rows(await (filter ? search(q, k).where(where(filter)) : search(q, k)).toArray()),
    queryIdsOnly: async (q, k) => rows(await search(q, k, ["id"]).toArray()),
    setEf: (value) => {
      ef = value;
      return Promise.resolve();
    },
    getById: async (id) => (await t!.query().where(`id = '${id.replace(/'/g, "''")}'`).select(columns).limit(1).toArray()).length,
    getWhere: async (filter) => (await t!.query().where(where(filter)).select(columns).limit(ds.meta.n).toArray()).length,
    close() {
      t?.close();
      db.close();
      return Promise.resolve();
    },
  };
}

function load(peersDir: string): LanceModule {
  lance ??= createRequire(path.join(peersDir, "package.json"))("@lancedb/lancedb") as LanceModule;
  return lance;
}

export const lancedb: SystemDef = {
  id: "lancedb",
  label: `LanceDB ${LANCEDB.version} (in process)`,
  settings: (m) =>
    m.n >= MIN_INDEXED_ROWS
      ? `IVF_HNSW_SQ, 1 partition, m ${HNSW.m}, ef_construction ${HNSW.efConstruction}, ef ${HNSW.efSearch}, refine_factor ${REFINE} (ef is raised to at least k × ${REFINE}, LanceDB's minimum), distance ${m.space}; ` +
        "optimize() after ingest; BTREE indexes on id and the filter columns; prefilter; vector column not returned"
      : `no vector index below ${MIN_INDEXED_ROWS.toLocaleString("en")} rows (exact scan, LanceDB's advice for small tables), distance ${m.space}; ` +
        "optimize() after ingest; BTREE indexes on id and the filter columns",
  async prepare({ peersDir }) {
    const reason = await ensurePeer(peersDir, LANCEDB, false);
    if (reason) return reason;
    load(peersDir);
    return null;
  },
  async create({ dir, peersDir, ds }: SystemContext) {
    const m = load(peersDir);
    return handle(await m.connect(dir), undefined, ds);
  },
  async open({ dir, peersDir, ds }: SystemContext) {
    const m = load(peersDir);
    const db = await m.connect(dir);
    return handle(db, await db.openTable(TABLE), ds);
  },
};
