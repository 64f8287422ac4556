/** A collection handle with the official client's methods, arguments and result shapes. */
import type { CollectionInfo, Engine, QueryHit } from "../engine/engine.js";
import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import { CLIENT_QUERY_DEFAULT_INCLUDE, columnsOf, GET_DEFAULT_INCLUDE, INCLUDE_VALUES } from "../model/include.js";
import { checkOneVectorIndex, clientCollectionMetadata } from "../model/collection.js";
import { collectionSchema } from "../model/schema.js";
import { parseFilters } from "../model/filter.js";
import { optionalU32 } from "../model/u32.js";
import { parseSearchPayload } from "../model/search.js";
import { searchExplain, searchResponse, type SearchExplain } from "../model/search-result.js";
import { validateEmbeddings, validateIds, validateRecordBatch, type RecordRow, type WriteKind } from "../model/records.js";
import type {
  QueryPlan,
  CallOptions,
  CollectionConfiguration,
  CollectionMetadata,
  DeleteArgs,
  DeleteResult,
  EmbeddingFunction,
  GetArgs,
  Include,
  IndexingStatus,
  Metadata,
  QueryArgs,
  RecordSetArgs,
  UpdateCollectionConfiguration,
} from "../types.js";
import { forEachChunked, type OperationScope } from "../util/abort.js";
import { describeEmbeddingFunction, embedWith } from "../embedding/functions.js";
import { shortestF32, vectorToNumbers } from "../util/float32.js";
import { GetResult, QueryResult } from "./results.js";
import { SearchResult, toSearchPayload, type SearchLike } from "./search.js";
import { plainMetadata } from "../model/numbers.js";

/** @internal What a collection needs from its client. */
export interface ClientContext {
  run<T>(name: string, call: CallOptions | undefined, fn: (engine: Engine, scope: OperationScope) => Promise<T> | T): Promise<T>;
}

function parseInclude(include: unknown, defaults: readonly Include[], allowDistances: boolean): Include[] {
  if (include === undefined || include === null) return [...defaults];
  if (!Array.isArray(include)) throw new InvalidArgumentError(`Expected 'include' to be an array, got ${typeof include}`);
  for (const [i, item] of include.entries()) {
    if (!INCLUDE_VALUES.includes(item as Include)) {
      throw new InvalidArgumentError(
        `Unknown value '${String(item)}' at include[${i}]; expected one of ${INCLUDE_VALUES.join(", ")}`,
      );
    }
    if (item === "distances" && !allowDistances) {
      throw new InvalidArgumentError("distances is not allowed for this operation");
    }
  }
  return [...(include as Include[])];
}

const toArray = (v: Float32Array | null): number[] => (v ? vectorToNumbers(v) : []);

export class Collection {
  readonly id: string;
  readonly tenant: string;
  readonly database: string;
  #name: string;
  #metadata: CollectionMetadata | undefined;
  #configuration: CollectionConfiguration;
  #schema: Record<string, unknown> | undefined;
  #embeddingFunction: EmbeddingFunction | undefined;
  /** Why the configuration's embedding function could not be rebuilt, for the error of a text call. */
  #missingFunction: string | undefined;
  readonly #client: ClientContext;

  /** @internal Collections come from the client's `createCollection` / `getCollection`. */
  constructor(
    client: ClientContext,
    info: CollectionInfo,
    embeddingFunction: EmbeddingFunction | undefined,
    missingFunction?: string,
    handle = false,
  ) {
    this.#client = client;
    this.id = info.id;
    this.tenant = info.tenant;
    this.database = info.database;
    this.#name = info.name;
    this.#metadata = plainMetadata(info.metadata) ?? undefined;
    this.#configuration = info.configuration;
    this.#schema = handle ? undefined : collectionSchema(info.configuration);
    this.#embeddingFunction = embeddingFunction;
    this.#missingFunction = missingFunction;
  }

  get name(): string {
    return this.#name;
  }

  get metadata(): CollectionMetadata | undefined {
    return this.#metadata;
  }

  get configuration(): CollectionConfiguration {
    return this.#configuration;
  }

  get embeddingFunction(): EmbeddingFunction | undefined {
    return this.#embeddingFunction;
  }

  /**
   * What the collection indexes, in the JSON form of Chroma's `schema` (which the official client
   * holds as a `Schema` object): metadata of every type, documents (full text), the dense vector
   * index with its HNSW settings. Undefined on a handle from `client.collection(id)`, as there.
   */
  get schema(): Record<string, unknown> | undefined {
    return this.#schema;
  }

  /** Number of records. */
  count(options?: CallOptions & { readLevel?: string }): Promise<number> {
    return this.#client.run("count", options, (engine, scope) => engine.count(this.id, scope));
  }

  /** Adds records. Ids that already exist are left as they are (as in Chroma). */
  add(args: RecordSetArgs): Promise<void> {
    return this.#write("add", args);
  }

  /** Inserts new records and updates existing ones (metadata is merged key by key). */
  upsert(args: RecordSetArgs): Promise<void> {
    return this.#write("upsert", args);
  }

  /** Updates existing records; missing ids are ignored. A `null` metadata value deletes that key. */
  update(args: RecordSetArgs): Promise<void> {
    return this.#write("update", args);
  }

  #write(kind: WriteKind, args: RecordSetArgs): Promise<void> {
    return this.#client.run(kind, args, async (engine, scope) => {
      if (args === null || typeof args !== "object") throw new InvalidArgumentError(`${kind} expects an arguments object`);
      const dimension = engine.collectionDimension(this.id);
      const batch = validateRecordBatch(args, kind, { mode: "client", dimension, maxBatchSize: engine.maxBatchSize });
      if (!batch.embeddings && kind !== "update") {
        if (!batch.documents) {
          throw new InvalidArgumentError(`At least one of 'embeddings' and 'documents' must be provided to ${kind}`);
        }
      }
      if (!batch.embeddings && batch.documents) {
        const documents = batch.documents;
        if (documents.some((d) => typeof d !== "string")) {
          throw new InvalidArgumentError(`Every document must be a string when embeddings are computed from documents`);
        }
        const vectors = await embedWith(this.#embeddingFunction, this.#name, documents as string[], "documents", scope, this.#missingFunction);
        batch.embeddings = validateEmbeddings(vectors, dimension, "embeddings (from the embedding function)");
      }
      await engine.write(this.id, kind, batch, scope);
    });
  }

  /** Records by id and/or filter, in insertion order. */
  get<TMeta extends Metadata = Metadata>(args: GetArgs = {}): Promise<GetResult<TMeta>> {
    return this.#client.run("get", args, async (engine, scope) => {
      const include = parseInclude(args.include, GET_DEFAULT_INCLUDE, false);
      const ids = args.ids === undefined ? undefined : validateIds(args.ids, "server");
      const filter = parseFilters(args.where, args.whereDocument);
      const limit = optionalU32(args.limit, "limit");
      const offset = optionalU32(args.offset, "offset");
      const rows = await engine.get(this.id, { ids, filter, limit, offset, columns: columnsOf(include) }, scope);
      return this.#getResult<TMeta>(rows, include, scope);
    });
  }

  /** The first `limit` records (default 10). */
  peek(args: { limit?: number } & CallOptions = {}): Promise<GetResult> {
    return this.get({ limit: args.limit ?? 10, signal: args.signal, timeout: args.timeout });
  }

  async #getResult<TMeta extends Metadata>(rows: RecordRow[], include: Include[], scope: OperationScope): Promise<GetResult<TMeta>> {
    let embeddings: number[][] = [];
    if (include.includes("embeddings")) {
      // Converting large results to plain numbers takes a while: do it in slices between other work.
      embeddings = new Array<number[]>(rows.length);
      await forEachChunked(rows, (r, i) => (embeddings[i] = toArray(r.embedding)), scope);
    }
    return new GetResult<TMeta>({
      ids: rows.map((r) => r.id),
      documents: include.includes("documents") ? rows.map((r) => r.document) : [],
      embeddings,
      metadatas: include.includes("metadatas") ? rows.map((r) => plainMetadata(r.metadata) as TMeta | null) : [],
      uris: include.includes("uris") ? rows.map((r) => r.uri) : [],
      include,
    });
  }

  /** The `nResults` nearest records to each query embedding (or text), nearest first. */
  query<TMeta extends Metadata = Metadata>(args: QueryArgs): Promise<QueryResult<TMeta>> {
    return this.#query<TMeta>("query", args, undefined);
  }

  /**
   * Runs `query` and also says how: for each query, the plan the engine chose (exact scan, HNSW,
   * search first, ...) and how many records it considered. The result is exactly `query`'s.
   *
   * @example
   * ```ts
   * const { result, plans } = await collection.explain({ queryEmbeddings: [[1, 0]], where: { kind: "a" } });
   * console.log(plans[0].plan, plans[0].candidates); // "exact-scan" 12
   * ```
   */
  async explain<TMeta extends Metadata = Metadata>(args: QueryArgs): Promise<{ result: QueryResult<TMeta>; plans: QueryPlan[] }> {
    const plans: QueryPlan[] = [];
    const result = await this.#query<TMeta>("explain", args, plans);
    return { result, plans };
  }

  #query<TMeta extends Metadata>(name: string, args: QueryArgs, plans: QueryPlan[] | undefined): Promise<QueryResult<TMeta>> {
    return this.#client.run(name, args, async (engine, scope) => {
      if (args === null || typeof args !== "object") throw new InvalidArgumentError("query expects an arguments object");
      const include = parseInclude(args.include, CLIENT_QUERY_DEFAULT_INCLUDE, true);
      const nResults = optionalU32(args.nResults, "nResults") ?? 10;
      const ids = args.ids === undefined ? undefined : validateIds(args.ids, "server");
      const filter = parseFilters(args.where, args.whereDocument);
      const dimension = engine.collectionDimension(this.id);
      let queries: Float32Array[];
      if (args.queryEmbeddings !== undefined && args.queryEmbeddings !== null) {
        if (args.queryTexts !== undefined) {
          throw new InvalidArgumentError("Provide either 'queryEmbeddings' or 'queryTexts', not both");
        }
        queries = validateEmbeddings(args.queryEmbeddings, dimension, "queryEmbeddings");
      } else if (args.queryTexts !== undefined && args.queryTexts !== null) {
        if (!Array.isArray(args.queryTexts) || args.queryTexts.some((t) => typeof t !== "string")) {
          throw new InvalidArgumentError("Expected 'queryTexts' to be an array of strings");
        }
        const vectors = await embedWith(this.#embeddingFunction, this.#name, args.queryTexts, "queries", scope, this.#missingFunction);
        queries = validateEmbeddings(vectors, dimension, "embeddings of queryTexts");
      } else {
        throw new InvalidArgumentError("Provide 'queryEmbeddings' or 'queryTexts' to query");
      }
      const hits = await engine.query(this.id, { queries, nResults, ids, filter, columns: columnsOf(include), explain: plans }, scope);
      return this.#queryResult<TMeta>(hits, include);
    });
  }

  #queryResult<TMeta extends Metadata>(hits: QueryHit[][], include: Include[]): QueryResult<TMeta> {
    const has = (f: Include) => include.includes(f);
    return new QueryResult<TMeta>({
      ids: hits.map((list) => list.map((h) => h.row.id)),
      distances: has("distances") ? hits.map((list) => list.map((h) => shortestF32(h.distance))) : [],
      documents: has("documents") ? hits.map((list) => list.map((h) => h.row.document)) : [],
      embeddings: has("embeddings") ? hits.map((list) => list.map((h) => toArray(h.row.embedding))) : [],
      metadatas: has("metadatas") ? hits.map((list) => list.map((h) => plainMetadata(h.row.metadata) as TMeta | null)) : [],
      uris: has("uris") ? hits.map((list) => list.map((h) => h.row.uri)) : [],
      include,
    });
  }

  /** Deletes records by id and/or filter. Returns how many were deleted. */
  delete(args: DeleteArgs = {}): Promise<DeleteResult> {
    return this.#client.run("delete", args, async (engine, scope) => {
      const ids = args.ids === undefined ? undefined : validateIds(args.ids, "server");
      const filter = parseFilters(args.where, args.whereDocument);
      if (ids !== undefined && ids.length === 0 && filter === undefined) {
        throw new InvalidArgumentError("Either ids or where must be specified to delete");
      }
      const limit = optionalU32(args.limit, "limit");
      const deleted = await engine.deleteRecords(this.id, { ids, filter, limit }, scope);
      return { deleted };
    });
  }

  /** Renames the collection, replaces its metadata, or changes its search-time configuration. */
  modify(args: {
    name?: string;
    metadata?: CollectionMetadata;
    configuration?: UpdateCollectionConfiguration;
  } & CallOptions): Promise<void> {
    return this.#client.run("modify", args, async (engine, scope) => {
      checkOneVectorIndex(args.configuration, "Multiple vector index configurations provided");
      const ef = args.configuration?.embeddingFunction;
      const info = await engine.catalog.modifyCollection(
        this.id,
        {
          name: args.name,
          metadata: clientCollectionMetadata(args.metadata),
          hnsw: args.configuration?.hnsw,
          embeddingFunction: ef === undefined ? undefined : describeEmbeddingFunction(ef),
        },
        scope,
      );
      this.#name = info.name;
      this.#metadata = plainMetadata(info.metadata) ?? undefined;
      this.#configuration = info.configuration;
      if (this.#schema) this.#schema = collectionSchema(info.configuration);
      if (ef !== undefined) {
        this.#embeddingFunction = ef;
        this.#missingFunction = undefined;
      }
    });
  }

  /**
   * Chroma's Search API, locally: rank by `Knn` on the embedding (text queries are embedded with the
   * collection's embedding function) and/or BM25 on the documents (`Knn({ query: "text", key:
   * "#document" })`), fuse with `Rrf` or any arithmetic, filter with `where` (metadata, `#document`,
   * `#id`), page with `limit`, choose fields with `select`. Takes the official client's `Search`
   * objects or plain `{ where, rank, limit, select }`; one result list per search.
   */
  async search(searches: SearchLike | SearchLike[], options?: CallOptions): Promise<SearchResult> {
    return (await this.#search("search", searches, options, false)).result;
  }

  /**
   * Runs `search` and also says, per hit, what each `$knn` of the rank gave it: its place in that
   * Knn's list, its distance or BM25 score, and for BM25 each query term's part of the score. The
   * result is exactly `search`'s. chromalite only.
   *
   * @example
   * ```ts
   * const { explains } = await collection.explainSearch(new Search().rank(Knn({ query: "red apples", key: "#document" })));
   * console.log(explains[0].hits[0].knns[0].terms); // [{ id: 2137..., term: "red", score: -0.41 }, ...]
   * ```
   */
  explainSearch(searches: SearchLike | SearchLike[], options?: CallOptions): Promise<{ result: SearchResult; explains: SearchExplain[] }> {
    return this.#search("explainSearch", searches, options, true);
  }

  #search(name: string, searches: SearchLike | SearchLike[], options: CallOptions | undefined, explain: boolean): Promise<{ result: SearchResult; explains: SearchExplain[] }> {
    return this.#client.run(name, options, async (engine, scope) => {
      const items = Array.isArray(searches) ? searches : [searches];
      if (items.length === 0) throw new InvalidArgumentError("At least one search must be provided");
      const plans = items.map((item, i) => parseSearchPayload(toSearchPayload(item, i), `searches[${i}]`));
      for (const plan of plans) {
        if (explain) plan.explain = true;
        for (const knn of plan.knns) {
          if (knn.source === "dense" && typeof knn.query === "string") {
            const [vector] = await embedWith(this.#embeddingFunction, this.#name, [knn.query], "queries", scope, this.#missingFunction);
            knn.query = vector!;
          }
        }
      }
      const hits = await engine.search(this.id, plans, scope);
      return { result: new SearchResult(searchResponse(plans, hits)), explains: explain ? searchExplain(hits) : [] };
    });
  }

  /** How far background indexing has got (Chroma's shape). Queries are always complete regardless. */
  getIndexingStatus(options?: CallOptions): Promise<IndexingStatus> {
    return this.#client.run("getIndexingStatus", options, (engine, scope) => engine.indexingStatus(this.id, scope));
  }

  /** Resolves once every record is in the ANN index (useful before a benchmark). chromalite only. */
  waitForIndexing(options?: CallOptions): Promise<void> {
    return this.#client.run("waitForIndexing", { timeout: 0, ...options }, (engine, scope) =>
      engine.waitForIndexing(this.id, scope),
    );
  }

  /** Not offered by Chroma's single-node server, nor here. */
  fork(_args: { name: string }): Promise<Collection> {
    return Promise.reject(new NotImplementedError("Collection forking is not implemented in chromalite"));
  }

  forkCount(): Promise<number> {
    return Promise.reject(new NotImplementedError("Collection forking is not implemented in chromalite"));
  }
}

/** The official client's words for what a handle from `client.collection(id)` cannot do. */
const HANDLE_EMBEDDING_ERROR =
  "This operation requires an embedding function, which is not available on a collection obtained via client.collection(id). Provide pre-computed embeddings directly, or use client.getCollection() to get a full collection with embedding support.";
const HANDLE_NOT_SUPPORTED = "is not supported on a collection obtained via client.collection(id). Use client.getCollection() to get a full collection instance.";

/**
 * @internal A lightweight handle by id, as the official client's `collection(id)`: no lookup, no
 * embedding function (text calls fail with its message), name `""`, no `modify` or `fork`.
 */
export class CollectionHandle extends Collection {
  constructor(client: ClientContext, id: string, tenant: string, database: string) {
    const info: CollectionInfo = {
      id,
      name: "",
      tenant,
      database,
      metadata: null,
      configuration: {} as CollectionInfo["configuration"],
      dimension: null,
      logPosition: 0,
      version: 0,
    };
    super(client, info, undefined, HANDLE_EMBEDDING_ERROR, true);
  }

  override modify(): Promise<void> {
    return Promise.reject(new InvalidArgumentError(`modify() ${HANDLE_NOT_SUPPORTED}`));
  }

  override fork(): Promise<Collection> {
    return Promise.reject(new InvalidArgumentError(`fork() ${HANDLE_NOT_SUPPORTED}`));
  }
}
