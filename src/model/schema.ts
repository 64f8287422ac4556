/**
 * The `schema` Chroma 1.x reports for a collection (the official client keeps it as
 * `collection.schema`), from its configuration. The server sends it and `Collection.schema` is it.
 */
import os from "node:os";
import { CHROMA_BM25_CONFIG, CHROMA_BM25_NAME } from "../text/bm25.js";
import type { EmbeddingFunctionConfiguration } from "../types.js";
import type { HnswSettings, StoredConfiguration } from "./collection.js";

function hnswSchemaConfig(h: HnswSettings): Record<string, number> {
  return {
    ef_construction: h.ef_construction,
    max_neighbors: h.max_neighbors,
    ef_search: h.ef_search,
    num_threads: os.availableParallelism(),
    batch_size: 100,
    sync_threshold: h.sync_threshold,
    resize_factor: h.resize_factor,
  };
}

function vectorIndexConfig(
  h: HnswSettings,
  ef: EmbeddingFunctionConfiguration | null,
  sourceKey: boolean,
): Record<string, unknown> {
  return {
    space: h.space,
    ...(ef ? { embedding_function: ef } : {}),
    ...(sourceKey ? { source_key: "#document" } : {}),
    hnsw: hnswSchemaConfig(h),
  };
}

/**
 * The `schema` Chroma 1.x reports for a collection: chromalite indexes the same things (metadata of
 * every type, documents for `$contains`/`$regex`, one dense vector index), so it reports the same.
 */
export function collectionSchema(configuration: StoredConfiguration): Record<string, unknown> {
  const h = configuration.hnsw;
  const ef = configuration.embedding_function;
  return {
    defaults: {
      string: { fts_index: { enabled: false, config: {} }, string_inverted_index: { enabled: true, config: {} } },
      float_list: { vector_index: { enabled: false, config: vectorIndexConfig(h, ef, false) } },
      sparse_vector: {
        sparse_vector_index: { enabled: false, config: { embedding_function: { type: "unknown" }, bm25: false } },
      },
      int: { int_inverted_index: { enabled: true, config: {} } },
      float: { float_inverted_index: { enabled: true, config: {} } },
      bool: { bool_inverted_index: { enabled: true, config: {} } },
    },
    keys: {
      "#embedding": { float_list: { vector_index: { enabled: true, config: vectorIndexConfig(h, ef, true) } } },
      "#document": {
        string: { fts_index: { enabled: true, config: {} }, string_inverted_index: { enabled: false, config: {} } },
        // BM25 over the documents: the official client embeds a text `Knn` on `#document` with
        // chroma_bm25 (if installed) and sends its sparse vector. No source_key: chromalite indexes the
        // documents itself, so the client must not add sparse vectors to the records' metadata.
        sparse_vector: {
          sparse_vector_index: {
            enabled: true,
            config: { embedding_function: { type: "known", name: CHROMA_BM25_NAME, config: { ...CHROMA_BM25_CONFIG } }, bm25: true },
          },
        },
      },
    },
  };
}
