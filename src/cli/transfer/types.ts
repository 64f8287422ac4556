/**
 * What export, import and copy move: collections (name, metadata, configuration) and pages of
 * records. Sources are a chromalite folder or a Chroma server; sinks the same two; the JSONL file of
 * export/import sits between them. Embeddings stay float32 end to end, so nothing is rounded twice.
 */
import type { WriteCounts } from "../../engine/batch-write.js";
import type { HnswSettings } from "../../model/collection.js";
import type { CollectionMetadata, EmbeddingFunctionConfiguration, Metadata } from "../../types.js";
import type { OnConflict } from "../options.js";

/** A collection's definition, as export writes it and import / copy recreate it. */
export interface CollectionSpec {
  name: string;
  /** The source's id (informational: a new collection gets a new id). */
  id?: string;
  metadata: CollectionMetadata | null;
  configuration: {
    hnsw: Partial<HnswSettings> | null;
    embedding_function: EmbeddingFunctionConfiguration | null;
  };
  dimension: number | null;
  /** Records at the time the source was read; null when unknown. */
  count: number | null;
}

/** Records in column form, in the source's order. */
export interface RecordPage {
  ids: string[];
  embeddings: Float32Array[];
  documents: (string | null)[];
  metadatas: (Metadata | null)[];
  uris: (string | null)[];
}

export interface Source {
  /** Where records come from, for messages. */
  readonly description: string;
  /** The named collections (all of them when `names` is empty), in the source's order. */
  collections(names: readonly string[]): Promise<CollectionSpec[]>;
  /** A collection's records, `pageSize` at a time, in insertion order. */
  pages(spec: CollectionSpec, pageSize: number): AsyncIterable<RecordPage>;
  close(): Promise<void>;
}

export interface CollectionWriter {
  /** Largest page `write` accepts. */
  readonly maxBatch: number;
  /** Writes a page; says what it did with each record (added, updated, or skipped as already there). */
  write(page: RecordPage): Promise<WriteCounts>;
}

export type { WriteCounts };

export function noCounts(): WriteCounts {
  return { added: 0, updated: 0, skipped: 0 };
}

export function addCounts(total: WriteCounts, more: WriteCounts): void {
  total.added += more.added;
  total.updated += more.updated;
  total.skipped += more.skipped;
}

/**
 * What a transfer did to the records, in words: "20,000 added", "0 added, 20,000 skipped (already
 * there)", "5 added, 19,995 replaced".
 */
export function describeCounts(counts: WriteCounts, onConflict: OnConflict): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const parts = [`${n(counts.added)} added`];
  if (counts.updated > 0 || onConflict === "upsert") parts.push(`${n(counts.updated)} replaced`);
  if (counts.skipped > 0 || onConflict === "skip") parts.push(`${n(counts.skipped)} skipped (already there)`);
  return parts.join(", ");
}

export interface Sink {
  readonly description: string;
  /** Refuses, before anything is written, collections this sink cannot take. */
  check?(specs: readonly CollectionSpec[]): void;
  /**
   * Creates the collection; an existing one is an error with `fail`, else it is written to: `skip`
   * leaves its existing ids as they are (add), `upsert` updates them.
   */
  open(spec: CollectionSpec, onConflict: OnConflict): Promise<CollectionWriter>;
  close(): Promise<void>;
}

export const HNSW_KEYS = ["space", "ef_construction", "ef_search", "max_neighbors", "resize_factor", "sync_threshold"] as const;

/** The HNSW settings both chromalite and Chroma take at creation (others, e.g. num_threads, are dropped). */
export function creatableHnsw(hnsw: Partial<HnswSettings> | null | undefined): Partial<HnswSettings> | null {
  if (!hnsw) return null;
  const out: Record<string, unknown> = {};
  for (const key of HNSW_KEYS) if (hnsw[key] !== undefined && hnsw[key] !== null) out[key] = hnsw[key];
  return out;
}

/** Splits a page into pages of at most `size` records. */
export function* slices(page: RecordPage, size: number): Generator<RecordPage> {
  if (page.ids.length <= size) {
    yield page;
    return;
  }
  for (let i = 0; i < page.ids.length; i += size) {
    yield {
      ids: page.ids.slice(i, i + size),
      embeddings: page.embeddings.slice(i, i + size),
      documents: page.documents.slice(i, i + size),
      metadatas: page.metadatas.slice(i, i + size),
      uris: page.uris.slice(i, i + size),
    };
  }
}

export function emptyPage(): RecordPage {
  return { ids: [], embeddings: [], documents: [], metadatas: [], uris: [] };
}
