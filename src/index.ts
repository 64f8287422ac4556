/**
 * chromalite: an embedded, persistent, Chroma-compatible vector and document database for Node.js.
 *
 * @example
 * ```ts
 * import { PersistentClient } from "chromalite";
 * await using client = new PersistentClient({ path: "./chroma-data" });
 * const c = await client.getOrCreateCollection({ name: "docs" });
 * ```
 */
export { PersistentClient, type PersistentClientOptions } from "./api/client.js";
export { VERSION } from "./version.js";
export { Collection } from "./api/collection.js";
export { GetResult, QueryResult, type GetRow, type QueryRowResult } from "./api/results.js";
export {
  Knn,
  Rrf,
  SearchResult,
  type KnnOptions,
  type RankInput,
  type RrfOptions,
  type SearchInit,
  type SearchLike,
  type SearchResultRow,
  type SparseVector,
} from "./api/search.js";
export type { SearchResponse } from "./model/search-result.js";
export {
  knownEmbeddingFunctions,
  registerEmbeddingFunction,
  type EmbeddingFunctionClass,
} from "./api/embedding.js";
export {
  DefaultEmbeddingFunction,
  MODEL_PATH_ENV,
  type DefaultEmbeddingFunctionConfig,
  type DefaultEmbeddingFunctionOptions,
} from "./api/default-embed.js";
export {
  AbortError,
  ChromaLiteError,
  ClosedError,
  CorruptionError,
  ErrorCodes,
  FolderGoneError,
  InternalError,
  InvalidArgumentError,
  InvalidCollectionError,
  LockedError,
  ReadOnlyError,
  NotFoundError,
  NotImplementedError,
  ResetDisabledError,
  StorageFullError,
  TimeoutError,
  UniqueConstraintError,
  type ErrorCode,
} from "./errors.js";
// The official client's error names, for code that catches them by name.
export {
  InvalidArgumentError as ChromaValueError,
  NotFoundError as ChromaNotFoundError,
  UniqueConstraintError as ChromaUniqueError,
} from "./errors.js";
export type { Logger } from "./logger.js";
export type { PlanKind, QueryPlan } from "./types.js";
export * from "./types.js";
