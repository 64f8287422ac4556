/**
 * Response bodies in Chroma's exact shapes. Float32 values (embeddings, distances) are written in
 * their shortest round-trip form, as Chroma's serializer does: an embedding stored from `0.1` reads
 * back as `0.1`, not `0.10000000149011612`. Large bodies are built in slices that yield to the event
 * loop, so one big `get` cannot stall every other client.
 */
import type { CollectionInfo, QueryHit } from "../engine/engine.js";
import { collectionSchema } from "../model/schema.js";
import type { RecordRow } from "../model/records.js";
import type { Include } from "../types.js";
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
/** Ids, documents, uris and field names are strings (or null): plain JSON, no replacer pass. */
const plain = (v: unknown): string => JSON.stringify(v);

// ------------------------------------------------------------------ collections

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
    schema: collectionSchema(info.configuration),
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
  w.push(`{"ids":${plain(rows.map((r) => r.id))},"embeddings":`);
  if (has("embeddings")) {
    w.push("[");
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) w.push(",");
      w.push(vectorJson(rows[i]!.embedding));
      await w.tick();
    }
    w.push("]");
  } else w.push("null");
  w.push(`,"documents":${has("documents") ? plain(rows.map((r) => r.document)) : "null"}`);
  w.push(`,"uris":${has("uris") ? plain(rows.map((r) => r.uri)) : "null"}`);
  w.push(`,"metadatas":${has("metadatas") ? json(rows.map((r) => r.metadata)) : "null"}`);
  w.push(`,"include":${plain(include)}}`);
  return w.text();
}

/** `/query` response: one inner list per query embedding. */
export async function queryResponseJson(hits: QueryHit[][], include: Include[], scope?: OperationScope): Promise<string> {
  const has = (f: Include) => include.includes(f);
  const w = new SlicedWriter(scope);
  const nested = (f: (h: QueryHit) => unknown, write = plain) => write(hits.map((list) => list.map(f)));
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
  w.push(`,"metadatas":${has("metadatas") ? nested((h) => h.row.metadata, json) : "null"}`);
  w.push(`,"distances":`);
  if (has("distances")) {
    w.push("[" + hits.map((list) => "[" + list.map((h) => f32Json(h.distance)).join(",") + "]").join(",") + "]");
  } else w.push("null");
  w.push(`,"include":${plain(include)}}`);
  return w.text();
}
