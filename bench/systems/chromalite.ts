/** chromalite in process: the library as an application uses it. */
import { PersistentClient, type Collection } from "../../src/index.js";
import { DEFAULT_HNSW } from "../../src/model/collection.js";
import { HnswIndex, indexDirOf } from "../../src/vector/hnsw-index.js";
import type { Dataset, FilterSpec } from "../lib/datasets.js";
import { HNSW, type Handle, type SystemContext, type SystemDef } from "./types.js";

const NAME = "bench";

function where(filter: FilterSpec | undefined) {
  return filter ? { [filter.key]: filter.value } : undefined;
}

/** The collection's saved graph in a native index of its own, searched with the collection's width. */
async function sameIndexSearch(dir: string, col: Collection): Promise<((q: number[], k: number) => void) | undefined> {
  const indexDir = indexDirOf(dir, col.id);
  const manifest = await HnswIndex.readManifest(indexDir);
  if (!manifest) return undefined;
  const index = await HnswIndex.load(indexDir, manifest, {
    space: manifest.space,
    dimension: manifest.dimension,
    maxNeighbors: manifest.maxNeighbors,
    efConstruction: manifest.efConstruction,
    efSearch: HNSW.efSearch,
    resizeFactor: DEFAULT_HNSW.resize_factor,
  });
  return (q, k) => void index.search(Float32Array.from(q), k);
}

function handle(client: PersistentClient, col: Collection, ds: Dataset, dir: string): Handle {
  const rows = (ids: string[] | undefined) => (ids ?? []).map((id) => ds.rowOf.get(id) ?? -1);
  return {
    add: (b) => col.add({ ids: b.ids, embeddings: b.embeddings, documents: b.documents, metadatas: b.metadatas }),
    waitIndexed: () => col.waitForIndexing(),
    query: async (q, k, filter) => rows((await col.query({ queryEmbeddings: [q], nResults: k, where: where(filter) })).ids[0]),
    queryIdsOnly: async (q, k) => rows((await col.query({ queryEmbeddings: [q], nResults: k, include: [] })).ids[0]),
    setEf: async (ef) => {
      await col.modify({ configuration: { hnsw: { ef_search: ef } } });
    },
    getById: async (id) => (await col.get({ ids: [id] })).ids.length,
    getWhere: async (filter) => (await col.get({ where: where(filter) })).ids.length,
    sameIndexSearch: () => sameIndexSearch(dir, col),
    close: () => client.close(),
  };
}

export const chromalite: SystemDef = {
  id: "chromalite",
  label: "chromalite (in process)",
  settings: (m) =>
    `PersistentClient, space ${m.space}, max_neighbors ${HNSW.m}, ef_construction ${HNSW.efConstruction}, ef_search ${HNSW.efSearch}; ` +
    "default include (documents, metadatas, distances); durability normal (SQLite WAL, synchronous=NORMAL)",
  async create({ dir, ds }: SystemContext) {
    // timeout 0: waiting for the background indexer of 100k rows may take longer than the default 60 s.
    const client = new PersistentClient({ path: dir, timeout: 0 });
    const col = await client.createCollection({
      name: NAME,
      configuration: {
        hnsw: { space: ds.meta.space, max_neighbors: HNSW.m, ef_construction: HNSW.efConstruction, ef_search: HNSW.efSearch },
      },
    });
    return handle(client, col, ds, dir);
  },
  async open({ dir, ds }: SystemContext) {
    const client = await PersistentClient.open({ path: dir, timeout: 0 });
    return handle(client, await client.getCollection({ name: NAME }), ds, dir);
  },
};
