/**
 * The Search API's inputs and result, shaped like the official client's: `collection.search()` takes the
 * official `Search` objects (anything with `toPayload()`), plain `{ where, rank, limit, select }`
 * objects whose parts may be the official expression objects (anything with `toJSON()`) or their JSON,
 * and returns a {@link SearchResult}. {@link Knn} and {@link Rrf} build rank expressions without the
 * official client.
 */
import { InvalidArgumentError } from "../errors.js";
import type { SearchResponse } from "../model/search-result.js";
import type { Metadata } from "../types.js";
import { plainMetadata } from "../model/numbers.js";

/** A sparse vector, as the official client writes it. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A rank expression as JSON (`{ $knn: ... }`, `{ $sum: [...] }`, ...) or an object whose `toJSON()` gives one. */
export type RankInput = Record<string, unknown> | { toJSON(): unknown } | number;

/** The parts of a search, as the official client's `SearchInit`. */
export interface SearchInit {
  where?: Record<string, unknown> | { toJSON(): unknown } | null;
  rank?: RankInput | null;
  limit?: number | { limit?: number | null; offset?: number } | { toJSON(): unknown } | null;
  select?: Iterable<string | { name: string }> | { keys?: Iterable<string | { name: string }> } | { toJSON(): unknown } | null;
  groupBy?: unknown;
}

/** What `collection.search()` accepts for one search: an official `Search`, or its parts. */
export type SearchLike = { toPayload(): unknown } | SearchInit;

export interface KnnOptions {
  /** A dense vector, a text (embedded with the collection's embedding function, or BM25 terms on `#document`), or a sparse vector. */
  query: number[] | Float32Array | string | SparseVector;
  /** `#embedding` (default): dense nearest neighbours. `#document`: BM25 over the documents. */
  key?: string;
  /** How many records this term ranks (default 16, as Chroma's server). */
  limit?: number;
  /** Score of records this term did not find; without it they are dropped from the results. */
  default?: number | null;
  /** Score by 0-based rank instead of distance (what `Rrf` needs). */
  returnRank?: boolean;
}

/** A k-nearest-neighbour rank term, as the official client's `Knn()` serialises it. */
export function Knn(options: KnnOptions): Record<string, unknown> {
  const query = options.query instanceof Float32Array ? Array.from(options.query) : options.query;
  const knn: Record<string, unknown> = { query, key: options.key ?? "#embedding", limit: options.limit ?? 16 };
  if (options.default !== undefined && options.default !== null) knn.default = options.default;
  if (options.returnRank) knn.return_rank = true;
  return { $knn: knn };
}

export interface RrfOptions {
  ranks: RankInput[];
  /** Smoothing constant (default 60). */
  k?: number;
  /** One weight per rank (default 1 each). */
  weights?: number[];
  /** Scale the weights to sum to 1. */
  normalize?: boolean;
}

/** Reciprocal rank fusion, `-Σ wᵢ / (k + rankᵢ)`, as the official client's `Rrf()` builds it. */
export function Rrf({ ranks, k = 60, weights, normalize = false }: RrfOptions): Record<string, unknown> {
  if (!Number.isInteger(k) || k <= 0) throw new InvalidArgumentError("Rrf k must be a positive integer");
  if (!Array.isArray(ranks) || ranks.length === 0) throw new InvalidArgumentError("Rrf requires at least one rank expression");
  let w = weights ? [...weights] : ranks.map(() => 1);
  if (w.length !== ranks.length) throw new InvalidArgumentError("Number of weights must match number of ranks");
  if (w.some((x) => typeof x !== "number" || !(x >= 0))) throw new InvalidArgumentError("Weights must be non-negative numbers");
  if (normalize) {
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new InvalidArgumentError("Weights must sum to a positive value when normalize=true");
    w = w.map((x) => x / total);
  }
  const terms = ranks.map((rank, i) => ({
    $div: { left: { $val: w[i] }, right: { $sum: [toJson(rank), { $val: k }] } },
  }));
  return { $mul: [{ $val: -1 }, terms.length === 1 ? terms[0]! : { $sum: terms }] };
}

/** JSON of an expression: the official client's objects serialise themselves through `toJSON()`. */
function toJson(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

function keyName(k: unknown): unknown {
  return typeof k === "object" && k !== null && "name" in k ? (k).name : k;
}

/** The JSON payload of one search (what `POST .../search` carries in `searches[]`). */
export function toSearchPayload(search: SearchLike, index: number): Record<string, unknown> {
  if (search === null || typeof search !== "object") {
    throw new InvalidArgumentError(`Expected searches[${index}] to be a Search or an object, got ${typeof search}`);
  }
  if ("toPayload" in search && typeof search.toPayload === "function") {
    return toJson(search.toPayload()) as Record<string, unknown>;
  }
  const init = search as SearchInit;
  for (const key of Object.keys(init)) {
    if (!["where", "rank", "limit", "select", "groupBy"].includes(key)) {
      throw new InvalidArgumentError(`Unknown field 'searches[${index}].${key}', expected where, rank, limit, select, groupBy`);
    }
  }
  const payload: Record<string, unknown> = {};
  if (init.where !== undefined && init.where !== null) payload.filter = toJson(init.where);
  if (init.rank !== undefined && init.rank !== null) payload.rank = toJson(init.rank);
  if (init.groupBy !== undefined && init.groupBy !== null) payload.group_by = toJson(init.groupBy);
  if (typeof init.limit === "number") payload.limit = { limit: init.limit, offset: 0 };
  else if (init.limit !== undefined && init.limit !== null) payload.limit = toJson(init.limit);
  const select = init.select;
  if (select !== undefined && select !== null) {
    let keys: unknown;
    if (typeof select === "object" && "toJSON" in select && typeof select.toJSON === "function") keys = (toJson(select) as { keys?: unknown }).keys;
    else if (typeof select === "object" && Symbol.iterator in select) keys = [...(select as Iterable<unknown>)].map(keyName);
    else if (typeof select === "object" && "keys" in select && select.keys) keys = [...(select.keys as Iterable<unknown>)].map(keyName);
    payload.select = { keys };
  }
  return payload;
}

/** One row of a search result: the selected fields of one record. */
export interface SearchResultRow {
  id: string;
  document?: string | null;
  embedding?: number[] | null;
  metadata?: Metadata | null;
  score?: number | null;
}

/** Results of `collection.search()`: one inner list per search; fields not selected are `null`. */
export class SearchResult {
  readonly ids: string[][];
  readonly documents: ((string | null)[] | null)[];
  readonly embeddings: ((number[] | null)[] | null)[];
  readonly metadatas: ((Metadata | null)[] | null)[];
  readonly scores: ((number | null)[] | null)[];
  readonly select: string[][];

  constructor(response: SearchResponse) {
    this.ids = response.ids;
    this.documents = response.documents;
    this.embeddings = response.embeddings;
    this.metadatas = response.metadatas.map((list) => list && list.map((m) => plainMetadata(m)));
    this.scores = response.scores;
    this.select = response.select;
  }

  /** Row form, as the official client's `rows()`: only the fields that were selected and present. */
  rows(): SearchResultRow[][] {
    return this.ids.map((ids, s) =>
      ids.map((id, i) => {
        const row: SearchResultRow = { id };
        const document = this.documents[s]?.[i];
        if (document !== undefined && document !== null) row.document = document;
        const embedding = this.embeddings[s]?.[i];
        if (embedding !== undefined && embedding !== null) row.embedding = embedding;
        const metadata = this.metadatas[s]?.[i];
        if (metadata !== undefined && metadata !== null) row.metadata = metadata;
        const score = this.scores[s]?.[i];
        if (score !== undefined && score !== null) row.score = score;
        return row;
      }),
    );
  }
}
