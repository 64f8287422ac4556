/**
 * The floors: hnswlib-node called directly (the ANN library chromalite uses; its overhead floor) and
 * hnswlib-node's BruteforceSearch (native C++ exact search; the limit for exact answers). Both
 * return labels only: no documents, metadata or ids to fetch, no durability.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type * as HnswlibModule from "hnswlib-node";
import { row, type Dataset, type FilterSpec } from "../lib/datasets.js";
import { HNSW, type Handle, type SystemContext, type SystemDef } from "./types.js";
import { effectiveEf } from "../../src/vector/hnsw-index.js";

/**
 * The raw peer searches as wide as chromalite does at the default ef_search (at least 16 k, see
 * effectiveEf), so that "this ÷ hnswlib" is chromalite's overhead on the same search, not a wider one.
 * The ef sweep sets the plain ef.
 */
const RAW_EF = effectiveEf(HNSW.efSearch, 10);

// hnswlib-node is a CommonJS addon whose exports ESM cannot detect statically.
const hnswlib = createRequire(import.meta.url)("hnswlib-node") as typeof HnswlibModule;
const FILE = "index.bin";

type Native = HnswlibModule.HierarchicalNSW | HnswlibModule.BruteforceSearch;

function filterFn(ds: Dataset, f: FilterSpec | undefined): ((label: number) => boolean) | undefined {
  if (!f) return undefined;
  const col = f.key === "bucket10" ? ds.bucket10 : ds.bucket100;
  return (label) => col[label] === f.value;
}

/**
 * The exact floor for a filtered query: a scan of only the matching rows (a BruteforceSearch of
 * that subset, built on first use, i.e. during warm-up). hnswlib's own filter callback is not used
 * here because its brute-force search drops results when the first k rows fail the filter.
 */
function subsetScan(ds: Dataset, f: FilterSpec): HnswlibModule.BruteforceSearch {
  const col = f.key === "bucket10" ? ds.bucket10 : ds.bucket100;
  const rows: number[] = [];
  for (let i = 0; i < ds.meta.n; i++) if (col[i] === f.value) rows.push(i);
  const index = new hnswlib.BruteforceSearch(ds.meta.space, ds.meta.dim);
  index.initIndex(Math.max(1, rows.length));
  for (const r of rows) index.addPoint(Array.from(row(ds.vectors, ds.meta.dim, r)), r);
  return index;
}

function handle(index: Native, dir: string, ds: Dataset, hnsw: HnswlibModule.HierarchicalNSW | undefined): Handle {
  const subsets = new Map<string, HnswlibModule.BruteforceSearch>();
  const search = (q: number[], k: number, filter: FilterSpec | undefined): number[] => {
    if (hnsw || !filter) return index.searchKnn(q, k, filterFn(ds, filter)).neighbors;
    const key = `${filter.key}=${filter.value}`;
    let subset = subsets.get(key);
    if (!subset) subsets.set(key, (subset = subsetScan(ds, filter)));
    return subset.searchKnn(q, Math.min(k, subset.getCurrentCount()), undefined).neighbors;
  };
  return {
    add(b) {
      for (let i = 0; i < b.embeddings.length; i++) index.addPoint(b.embeddings[i]!, b.start + i);
      return Promise.resolve();
    },
    waitIndexed: () => Promise.resolve(),
    // Synchronous native calls, wrapped only to fit the harness's interface.
    query: (q, k, filter) => Promise.resolve(search(q, k, filter)),
    ...(hnsw ? { setEf: (ef: number) => Promise.resolve(hnsw.setEf(ef)) } : {}),
    async close() {
      // Its only way to persist: write the whole index file (on libuv's thread pool).
      await index.writeIndex(path.join(dir, FILE));
    },
  };
}

export const hnswRaw: SystemDef = {
  id: "hnswlib",
  label: "hnswlib-node 3.0 (raw ANN)",
  settings: (m) =>
    `HierarchicalNSW('${m.space}'), M ${HNSW.m}, ef_construction ${HNSW.efConstruction}, ef ${RAW_EF} (chromalite's search width at ef_search ${HNSW.efSearch}, k 10), addPoint per vector, filter as a native callback over labels; persisted with writeIndex`,
  create({ dir, ds }: SystemContext) {
    const index = new hnswlib.HierarchicalNSW(ds.meta.space, ds.meta.dim);
    index.initIndex({ maxElements: ds.meta.n, m: HNSW.m, efConstruction: HNSW.efConstruction, randomSeed: 100 });
    index.setEf(RAW_EF);
    return Promise.resolve(handle(index, dir, ds, index));
  },
  async open({ dir, ds }: SystemContext) {
    const index = new hnswlib.HierarchicalNSW(ds.meta.space, ds.meta.dim);
    await index.readIndex(path.join(dir, FILE));
    index.setEf(RAW_EF);
    return handle(index, dir, ds, index);
  },
};

export const bruteforce: SystemDef = {
  id: "exact",
  label: "exact native scan (hnswlib BruteforceSearch)",
  settings: (m) => `hnswlib-node BruteforceSearch('${m.space}'), one thread, float32; a filtered query scans only the matching rows (a BruteforceSearch of that subset, built during warm-up)`,
  create({ dir, ds }: SystemContext) {
    const index = new hnswlib.BruteforceSearch(ds.meta.space, ds.meta.dim);
    index.initIndex(ds.meta.n);
    return Promise.resolve(handle(index, dir, ds, undefined));
  },
  async open({ dir, ds }: SystemContext) {
    const index = new hnswlib.BruteforceSearch(ds.meta.space, ds.meta.dim);
    await index.readIndex(path.join(dir, FILE));
    return handle(index, dir, ds, undefined);
  },
};
