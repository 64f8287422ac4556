/**
 * Public data types, shaped like the official `chromadb` 3.x JS client's so that code written for it
 * type-checks against chromalite unchanged.
 */

/** A scalar metadata value. */
export type MetadataScalar = string | number | boolean;
/** A metadata value: a scalar or a non-empty array of one scalar type. `null` (in update/upsert) deletes the key. */
export type MetadataValue = MetadataScalar | string[] | number[] | boolean[] | null;
/** Metadata of a record. */
export type Metadata = Record<string, MetadataValue>;
/** Metadata of a collection. */
export type CollectionMetadata = Record<string, MetadataValue>;

/** Fields a `get` or `query` can return. */
export type Include = "documents" | "embeddings" | "metadatas" | "distances" | "uris";
/** The same values as an enum, like the official client's `IncludeEnum`. */
export enum IncludeEnum {
  distances = "distances",
  documents = "documents",
  embeddings = "embeddings",
  metadatas = "metadatas",
  uris = "uris",
}

/** Distance function of a collection: squared L2, 1 − cosine similarity, or 1 − inner product. */
export type Space = "l2" | "cosine" | "ip";

export type LiteralValue = string | number | boolean;
export type OperatorExpression =
  | { $gt: number }
  | { $gte: number }
  | { $lt: number }
  | { $lte: number }
  | { $ne: LiteralValue }
  | { $eq: LiteralValue }
  | { $in: LiteralValue[] }
  | { $nin: LiteralValue[] }
  | { $contains: LiteralValue }
  | { $not_contains: LiteralValue };

/** Metadata filter. Each object holds exactly one field or one of `$and` / `$or`. */
export type Where =
  | { [key: string]: LiteralValue | OperatorExpression }
  | { $and: Where[] }
  | { $or: Where[] };

/** Document filter: case-sensitive substring and regular-expression matches. */
export type WhereDocument =
  | { $contains: string }
  | { $not_contains: string }
  | { $regex: string }
  | { $not_regex: string }
  | { $and: WhereDocument[] }
  | { $or: WhereDocument[] };

/** The official client's embedding function interface; `@chroma-core/*` packages implement it. */
export interface EmbeddingFunction {
  generate(texts: string[]): Promise<number[][]>;
  generateForQueries?(texts: string[]): Promise<number[][]>;
  name?: string;
  defaultSpace?(): Space;
  supportedSpaces?(): Space[];
  getConfig?(): Record<string, unknown>;
  validateConfig?(config: Record<string, unknown>): void;
}

/** HNSW parameters, as Chroma names them. */
export interface HnswConfiguration {
  space?: Space;
  ef_construction?: number;
  ef_search?: number;
  max_neighbors?: number;
  num_threads?: number;
  batch_size?: number;
  sync_threshold?: number;
  resize_factor?: number;
}

/** How an embedding function is recorded in a collection's configuration (Chroma's JSON form). */
export type EmbeddingFunctionConfiguration =
  | { type: "legacy" }
  | { type: "known"; name: string; config: Record<string, unknown> }
  | { type: "custom"; name: string; config?: Record<string, unknown> };

/** A collection's stored configuration, as Chroma reports it. */
export interface CollectionConfiguration {
  hnsw?: Required<Pick<HnswConfiguration, "space" | "ef_construction" | "ef_search" | "max_neighbors" | "resize_factor" | "sync_threshold">> | null;
  spann?: null;
  embedding_function?: EmbeddingFunctionConfiguration | null;
}

/**
 * Chroma's other vector index. A single-node Chroma (and chromalite) builds HNSW and keeps only its
 * `space`; the other fields are checked and not used.
 */
export interface SpannConfiguration {
  space?: Space;
  search_nprobe?: number;
  write_nprobe?: number;
  ef_construction?: number;
  ef_search?: number;
  max_neighbors?: number;
  reassign_neighbor_count?: number;
  split_threshold?: number;
  merge_threshold?: number;
}

/** Configuration accepted when creating a collection (`hnsw` or `spann`, not both). */
export interface CreateCollectionConfiguration {
  hnsw?: HnswConfiguration | null;
  spann?: SpannConfiguration | null;
  embeddingFunction?: EmbeddingFunction | null;
}

/** Configuration changes accepted by `modify` (the space and build parameters are fixed at creation). */
export interface UpdateCollectionConfiguration {
  hnsw?: Pick<HnswConfiguration, "ef_search" | "max_neighbors" | "num_threads" | "batch_size" | "sync_threshold" | "resize_factor">;
  /** Chroma's other vector index: refused together with `hnsw`, as Chroma does (chromalite builds HNSW). */
  spann?: null;
  embeddingFunction?: EmbeddingFunction;
}

/**
 * `normal`: an acknowledged write survives a crash of the process (SQLite `synchronous=NORMAL`).
 * `full`: also a power loss or an OS crash (`synchronous=FULL`), at some write speed.
 */
export type Durability = "normal" | "full";

/** Cancellation and timeout, accepted by every asynchronous call. */
export interface CallOptions {
  /** Abort the call; it rejects with the signal's reason wrapped in an `AbortError`. */
  signal?: AbortSignal;
  /** Override the client's default operation timeout (ms). `0` disables the timeout for this call. */
  timeout?: number;
}

export interface RecordSetArgs extends CallOptions {
  ids: string[];
  embeddings?: number[][] | Float32Array[];
  metadatas?: (Metadata | null | undefined)[];
  documents?: (string | null | undefined)[];
  uris?: (string | null | undefined)[];
}

export interface GetArgs extends CallOptions {
  ids?: string[];
  where?: Where;
  whereDocument?: WhereDocument;
  limit?: number;
  offset?: number;
  include?: Include[];
}

export interface QueryArgs extends CallOptions {
  queryEmbeddings?: number[][] | Float32Array[];
  queryTexts?: string[];
  ids?: string[];
  nResults?: number;
  where?: Where;
  whereDocument?: WhereDocument;
  include?: Include[];
}

export interface DeleteArgs extends CallOptions {
  ids?: string[];
  where?: Where;
  whereDocument?: WhereDocument;
  limit?: number;
}

export interface DeleteResult {
  deleted: number;
}

/** Progress of background indexing, shaped like Chroma's `getIndexingStatus()`. */
export interface IndexingStatus {
  num_indexed_ops: number;
  num_unindexed_ops: number;
  total_ops: number;
  op_indexing_progress: number;
}

export interface Database {
  id: string;
  name: string;
  tenant: string;
}

/** Options of `client.close()`. */
export interface CloseOptions {
  /** Cancel calls in flight and close at once (pending vectors are indexed on the next open). */
  cancel?: boolean;
  /** Upper bound, in ms, of the time spent indexing pending vectors before closing. */
  timeout?: number;
  /** Hears how many vectors each collection still has to index, while close finishes indexing. */
  onProgress?: (progress: { collection: string; pending: number }) => void;
}

// ------------------------------------------------------------------ explain

/** The plans the engine's reader chooses among (src/engine/reader.ts), as `explain` names them. */
export type PlanKind =
  /** Nothing to search (no vectors, nothing allowed, or k = 0). */
  | "empty"
  /** Distances to every allowed record, computed exactly in native code. */
  | "exact-scan"
  /** HNSW search, restricted to the allowed records when there is a filter. */
  | "hnsw"
  /** HNSW returned fewer than k under a tight filter: the allowed records were then scanned exactly. */
  | "hnsw-then-exact"
  /** A broad document condition: the nearest records were read from HNSW, their documents checked after. */
  | "search-first"
  /** A `$contains` with few index candidates: those were ranked exactly, documents checked nearest first. */
  | "nearest-first-contains";

/** How one query was answered (`collection.explain`, the console's explain). */
export interface QueryPlan {
  plan: PlanKind;
  /** Vectors an unfiltered search could reach (indexed + pending). */
  searchable: number;
  /** Records the ids and filters allow, when the plan found them (null: not computed, or no filter). */
  allowed: number | null;
  /** Records whose distance (or document) the plan looked at: scanned, read from HNSW, or index candidates. */
  candidates: number;
  /** HNSW search width used, when HNSW was searched. */
  ef: number | null;
  /** Estimated matches of a document condition (from a sample), when it was estimated. */
  estimatedMatches: number | null;
  /** One line on why this plan. */
  reason: string;
}
