/**
 * Response bodies in Chroma's exact shapes. Float32 values (embeddings, distances) are written in
 * their shortest round-trip form, as Chroma's serializer does: an embedding stored from `0.1` reads
 * back as `0.1`, not `0.10000000149011612`. Large bodies are built in slices that yield to the event
 * loop, so one big `get` cannot stall every other client.
 */
import os from "node:os";
import type { CollectionInfo, QueryHit } from "../engine/engine.js";
import type { HnswSettings } from "../model/collection.js";
import type { RecordRow } from "../model/records.js";
import { CHROMA_BM25_CONFIG, CHROMA_BM25_NAME } from "../text/bm25.js";
import type { EmbeddingFunctionConfiguration, Include } from "../types.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import { stringifyExact } from "../model/numbers.js";
import { formatF32 } from "../util/float32.js";

/** Serialises values with a time budget per slice; yields between slices and honours cancellation. */
class SlicedWriter {
  readonly parts: string[] = [];
  #deadline = performance.now() + 15;
  readonly #scope: OperationScope | undefined;
  constructor(scope: OperationScope | undefined) {
    this.#scope = scope;
  }
  async tick(): Promise<void> {
    if (performance.now() < this.#deadline) return;
    this.#scope?.check();
    await yieldToEventLoop();
    this.#deadline = performance.now() + 15;
  }
  push(s: string): void {
    this.parts.push(s);
  }
  text(): string {
    return this.parts.join("");
  }
}

/** A float32 as Chroma writes it: shortest form, always a float (`1.0`, not `1`). */
const f32Json = (x: number): string => {
  if (Object.is(x, -0)) return "-0.0";
  const s = formatF32(x);
  return /[.eEn]/.test(s) ? s : `${s}.0`;
};

function vectorJson(v: Float32Array | null): string {
  if (!v) return "null";
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i > 0 ? "," : "") + f32Json(v[i]!);
  return s + "]";
}

/** Metadata may hold int64 values and whole floats (model/numbers.ts); written exactly. */
const json = (v: unknown): string => stringifyExact(v);

// ------------------------------------------------------------------ collections

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
function schemaOf(info: CollectionInfo): Record<string, unknown> {
  const h = info.configuration.hnsw;
  const ef = info.configuration.embedding_function;
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

/** A collection as Chroma's API returns it. */
export function collectionJson(info: CollectionInfo): Record<string, unknown> {
  const h = info.configuration.hnsw;
  return {
    id: info.id,
    name: info.name,
    configuration_json: {
      hnsw: {
        space: h.space,
        ef_construction: h.ef_construction,
        ef_search: h.ef_search,
        max_neighbors: h.max_neighbors,
        resize_factor: h.resize_factor,
        sync_threshold: h.sync_threshold,
      },
      spann: null,
      embedding_function: info.configuration.embedding_function ?? null,
    },
    schema: schemaOf(info),
    metadata: info.metadata ?? null,
    dimension: info.dimension,
    tenant: info.tenant,
    database: info.database,
    log_position: info.logPosition,
    version: info.version,
  };
}

// ------------------------------------------------------------------ records

/** `/get` response: fields not in `include` are null; `include` echoes the request. */
export async function getResponseJson(rows: RecordRow[], include: Include[], scope?: OperationScope): Promise<string> {
  const has = (f: Include) => include.includes(f);
  const w = new SlicedWriter(scope);
  w.push(`{"ids":${json(rows.map((r) => r.id))},"embeddings":`);
  if (has("embeddings")) {
    w.push("[");
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) w.push(",");
      w.push(vectorJson(rows[i]!.embedding));
      await w.tick();
    }
    w.push("]");
  } else w.push("null");
  w.push(`,"documents":${has("documents") ? json(rows.map((r) => r.document)) : "null"}`);
  w.push(`,"uris":${has("uris") ? json(rows.map((r) => r.uri)) : "null"}`);
  w.push(`,"metadatas":${has("metadatas") ? json(rows.map((r) => r.metadata)) : "null"}`);
  w.push(`,"include":${json(include)}}`);
  return w.text();
}

/** `/query` response: one inner list per query embedding. */
export async function queryResponseJson(hits: QueryHit[][], include: Include[], scope?: OperationScope): Promise<string> {
  const has = (f: Include) => include.includes(f);
  const w = new SlicedWriter(scope);
  const nested = (f: (h: QueryHit) => unknown) => json(hits.map((list) => list.map(f)));
  w.push(`{"ids":${nested((h) => h.row.id)},"embeddings":`);
  if (has("embeddings")) {
    w.push("[");
    for (let q = 0; q < hits.length; q++) {
      w.push(q > 0 ? ",[" : "[");
      const list = hits[q]!;
      for (let i = 0; i < list.length; i++) {
        if (i > 0) w.push(",");
        w.push(vectorJson(list[i]!.row.embedding));
        await w.tick();
      }
      w.push("]");
    }
    w.push("]");
  } else w.push("null");
  w.push(`,"documents":${has("documents") ? nested((h) => h.row.document) : "null"}`);
  w.push(`,"uris":${has("uris") ? nested((h) => h.row.uri) : "null"}`);
  w.push(`,"metadatas":${has("metadatas") ? nested((h) => h.row.metadata) : "null"}`);
  w.push(`,"distances":`);
  if (has("distances")) {
    w.push("[" + hits.map((list) => "[" + list.map((h) => f32Json(h.distance)).join(",") + "]").join(",") + "]");
  } else w.push("null");
  w.push(`,"include":${json(include)}}`);
  return w.text();
}
