/**
 * The Search API's payload (the JSON the official client's `Search.toPayload()` produces, and what
 * `POST .../search` carries): validation and the normalised plan the engine runs. Pure, no I/O.
 *
 * Supported: `filter` (a where clause whose keys may also be `#document` for document filters and
 * `#id` with `$in`/`$eq` for ids), `rank` as any arithmetic over `$knn` terms (`$val $sum $sub $mul
 * $div $abs $exp $log $max $min`, which is what `Rrf` compiles to), `limit` {limit, offset} and
 * `select` {keys}. A `$knn` ranks by the dense embedding (`#embedding`, the default key) or by BM25
 * over the documents (`#document`, with query text or a `chroma_bm25` sparse vector). Anything else
 * (`group_by`, other sparse keys, `#id` under `$or`/`$nin`) is refused with a typed error.
 */
import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import { bm25TermIds, bm25Tokens } from "../text/bm25.js";
import { andFilters, parseWhere, parseWhereDocument, type FilterNode } from "./filter.js";
import { checkFilterLimits } from "./filter-limits.js";
import { describe, isObject, type JsonObject } from "./json.js";

export const EMBEDDING_KEY = "#embedding";
export const DOCUMENT_KEY = "#document";
export const METADATA_KEY = "#metadata";
export const SCORE_KEY = "#score";
export const ID_KEY = "#id";

/** One `$knn` term. Dense queries given as text are embedded by the caller before the engine runs. */
export type KnnSpec =
  | { source: "dense"; query: number[] | string; limit: number; default?: number; returnRank: boolean }
  | { source: "bm25"; termIds: number[]; limit: number; default?: number; returnRank: boolean; terms?: string[] };

export type RankNode =
  | { kind: "knn"; index: number }
  | { kind: "val"; value: number }
  | { kind: "sum" | "mul" | "max" | "min"; children: RankNode[] }
  | { kind: "sub" | "div"; left: RankNode; right: RankNode }
  | { kind: "abs" | "exp" | "log"; child: RankNode };

export interface SearchPlan {
  filter?: FilterNode;
  /** Restriction to these ids (`#id` in the filter). */
  ids?: string[];
  rank?: RankNode;
  knns: KnnSpec[];
  limit?: number;
  offset: number;
  /** Selected keys, in request order, without duplicates. */
  select: string[];
  /** Set by explain callers (not part of the payload): each hit then carries what each `$knn` gave it. */
  explain?: boolean;
}

function single(v: JsonObject, path: string): [string, unknown] {
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    throw new InvalidArgumentError(`Expected '${path}' to have exactly one key, got ${keys.length} (${describe(v)})`);
  }
  return [keys[0]!, v[keys[0]!]];
}

function finite(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`Expected '${path}' to be a finite number, got ${describe(v)}`);
  }
  return v;
}

function nonNegativeInt(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new InvalidArgumentError(`Expected '${path}' to be a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

// ------------------------------------------------------------------ filter

interface ParsedWhere {
  filter?: FilterNode;
  ids?: string[];
}

function idsOf(operand: unknown, path: string): string[] {
  if (typeof operand === "string") return [operand];
  if (isObject(operand)) {
    const [op, arg] = single(operand, path);
    if (op === "$eq" && typeof arg === "string") return [arg];
    if (op === "$in" && Array.isArray(arg) && arg.every((x) => typeof x === "string")) return arg;
    if (op === "$ne" || op === "$nin") {
      throw new NotImplementedError(`'${path}.${op}' is not supported by chromalite: filter ids with $in or $eq`);
    }
  }
  throw new InvalidArgumentError(`Expected '${path}' to be {$in: [ids]} or {$eq: id}, got ${describe(operand)}`);
}

/** Metadata and document conditions anywhere in the tree; `#id` only at the top or under the top `$and`. */
function whereNode(where: unknown, path: string): FilterNode {
  if (!isObject(where)) throw new InvalidArgumentError(`Expected '${path}' to be an object, got ${describe(where)}`);
  const [key, operand] = single(where, path);
  if (key === "$and" || key === "$or") {
    if (!Array.isArray(operand) || operand.length === 0) {
      throw new InvalidArgumentError(`Expected '${path}.${key}' to be a non-empty list, got ${describe(operand)}`);
    }
    return {
      kind: key === "$and" ? "and" : "or",
      children: operand.map((child, i) => whereNode(child, `${path}.${key}[${i}]`)),
    };
  }
  if (key === DOCUMENT_KEY) return parseWhereDocument(operand, `${path}.${key}`);
  if (key === ID_KEY) {
    throw new NotImplementedError(`'${path}' filters ids inside $or: chromalite supports #id only at the top level or under a top-level $and`);
  }
  if (key.startsWith("#")) throw new InvalidArgumentError(`Unknown key '${key}' in '${path}'`);
  return parseWhere({ [key]: operand }, path);
}

export function parseSearchWhere(where: unknown, path = "filter"): ParsedWhere {
  if (where === undefined || where === null) return {};
  if (!isObject(where)) throw new InvalidArgumentError(`Expected '${path}' to be an object, got ${describe(where)}`);
  checkFilterLimits(where, path);
  if (Object.keys(where).length === 0) return {};
  const [key, operand] = single(where, path);
  const top = key === "$and" && Array.isArray(operand) ? operand : [where];
  let ids: string[] | undefined;
  const nodes: FilterNode[] = [];
  top.forEach((child, i) => {
    const childPath = top === operand ? `${path}.$and[${i}]` : path;
    if (isObject(child) && Object.keys(child).length === 1 && ID_KEY in child) {
      const these = idsOf(child[ID_KEY], `${childPath}.${ID_KEY}`);
      ids = ids === undefined ? these : ids.filter((id) => these.includes(id));
    } else {
      nodes.push(whereNode(child, childPath));
    }
  });
  return { filter: andFilters(...nodes), ids };
}

// ------------------------------------------------------------------ rank

function isSparse(v: unknown): v is { indices: unknown[]; values?: unknown[] } {
  return isObject(v) && Array.isArray(v.indices);
}

function parseKnn(v: unknown, path: string): KnnSpec {
  if (!isObject(v)) throw new InvalidArgumentError(`Expected '${path}' to be an object, got ${describe(v)}`);
  for (const field of Object.keys(v)) {
    if (!["query", "key", "limit", "default", "return_rank"].includes(field)) {
      throw new InvalidArgumentError(`Unknown field '${path}.${field}', expected query, key, limit, default, return_rank`);
    }
  }
  const key = v.key ?? EMBEDDING_KEY;
  const limit = v.limit === undefined || v.limit === null ? 16 : nonNegativeInt(v.limit, `${path}.limit`);
  if (limit === 0) throw new InvalidArgumentError(`Expected '${path}.limit' to be a positive integer`);
  const dflt = v.default === undefined || v.default === null ? undefined : finite(v.default, `${path}.default`);
  if (v.return_rank !== undefined && typeof v.return_rank !== "boolean") {
    throw new InvalidArgumentError(`Expected '${path}.return_rank' to be a boolean`);
  }
  const returnRank = v.return_rank === true;
  const query = v.query;
  if (key === EMBEDDING_KEY) {
    if (typeof query === "string") return { source: "dense", query, limit, default: dflt, returnRank };
    if (!Array.isArray(query) || query.length === 0 || !query.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new InvalidArgumentError(
        `Expected '${path}.query' to be a dense vector of finite numbers or a text for the key '${EMBEDDING_KEY}'`,
      );
    }
    return { source: "dense", query: query as number[], limit, default: dflt, returnRank };
  }
  if (key === DOCUMENT_KEY) {
    let termIds: number[];
    let terms: string[] | undefined;
    if (typeof query === "string") {
      // The stemmed terms too, aligned with their ids, so that explain can name them.
      terms = bm25Tokens(query);
      termIds = bm25TermIds(query);
    } else if (isSparse(query) && query.indices.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
      // A chroma_bm25 sparse vector names the terms; FTS5 weighs every query term once, by its IDF.
      termIds = query.indices as number[];
    } else {
      throw new InvalidArgumentError(
        `Expected '${path}.query' to be a text or a chroma_bm25 sparse vector {indices, values} for the key '${DOCUMENT_KEY}'`,
      );
    }
    return { source: "bm25", termIds, limit, default: dflt, returnRank, ...(terms ? { terms } : {}) };
  }
  throw new NotImplementedError(
    `'${path}.key' is ${JSON.stringify(key)}: chromalite ranks by '${EMBEDDING_KEY}' (dense) and '${DOCUMENT_KEY}' (BM25 over the documents); other sparse vector keys are not supported`,
  );
}

const NARY = { $sum: "sum", $mul: "mul", $max: "max", $min: "min" } as const;
const BINARY = { $sub: "sub", $div: "div" } as const;
const UNARY = { $abs: "abs", $exp: "exp", $log: "log" } as const;

function parseRank(v: unknown, path: string, knns: KnnSpec[]): RankNode {
  if (typeof v === "number") return { kind: "val", value: finite(v, path) };
  if (!isObject(v)) throw new InvalidArgumentError(`Expected '${path}' to be a rank expression, got ${describe(v)}`);
  const [op, arg] = single(v, path);
  if (op === "$knn") {
    knns.push(parseKnn(arg, `${path}.$knn`));
    return { kind: "knn", index: knns.length - 1 };
  }
  if (op === "$val") return { kind: "val", value: finite(arg, `${path}.$val`) };
  if (op in NARY) {
    if (!Array.isArray(arg) || arg.length === 0) {
      throw new InvalidArgumentError(`Expected '${path}.${op}' to be a non-empty list of rank expressions`);
    }
    return { kind: NARY[op as keyof typeof NARY], children: arg.map((c, i) => parseRank(c, `${path}.${op}[${i}]`, knns)) };
  }
  if (op in BINARY) {
    if (!isObject(arg) || !("left" in arg) || !("right" in arg)) {
      throw new InvalidArgumentError(`Expected '${path}.${op}' to be {left, right}`);
    }
    return {
      kind: BINARY[op as keyof typeof BINARY],
      left: parseRank(arg.left, `${path}.${op}.left`, knns),
      right: parseRank(arg.right, `${path}.${op}.right`, knns),
    };
  }
  if (op in UNARY) return { kind: UNARY[op as keyof typeof UNARY], child: parseRank(arg, `${path}.${op}`, knns) };
  throw new InvalidArgumentError(`Unknown rank operator '${op}' in '${path}'`);
}

// ------------------------------------------------------------------ payload

const PAYLOAD_KEYS = ["filter", "where", "rank", "limit", "select", "group_by"];

/** Validates one search payload. */
export function parseSearchPayload(payload: unknown, path = "searches[0]"): SearchPlan {
  if (!isObject(payload)) throw new InvalidArgumentError(`Expected '${path}' to be an object, got ${describe(payload)}`);
  for (const key of Object.keys(payload)) {
    if (!PAYLOAD_KEYS.includes(key)) {
      throw new InvalidArgumentError(`Unknown field '${path}.${key}', expected one of filter, rank, limit, select, group_by`);
    }
  }
  if (payload.group_by !== undefined && payload.group_by !== null) {
    throw new NotImplementedError(`'${path}.group_by' is not supported by chromalite`);
  }
  let where: unknown = payload.filter ?? payload.where;
  let ids: string[] | undefined;
  // The OpenAPI form {query_ids, where_clause}; the official JS client sends the where clause itself.
  if (isObject(where) && Object.keys(where).every((k) => k === "query_ids" || k === "where_clause") && Object.keys(where).length > 0) {
    if (where.query_ids !== undefined && where.query_ids !== null) {
      if (!Array.isArray(where.query_ids) || !where.query_ids.every((x) => typeof x === "string")) {
        throw new InvalidArgumentError(`Expected '${path}.filter.query_ids' to be a list of strings`);
      }
      ids = where.query_ids;
    }
    where = where.where_clause;
  }
  const parsed = parseSearchWhere(where, `${path}.filter`);
  if (ids !== undefined) ids = parsed.ids === undefined ? ids : ids.filter((id) => parsed.ids!.includes(id));
  else ids = parsed.ids;

  const knns: KnnSpec[] = [];
  let rank: RankNode | undefined;
  if (payload.rank !== undefined && payload.rank !== null && !(isObject(payload.rank) && Object.keys(payload.rank).length === 0)) {
    rank = parseRank(payload.rank, `${path}.rank`, knns);
    if (knns.length === 0) throw new InvalidArgumentError(`'${path}.rank' must contain at least one $knn`);
  }

  let limit: number | undefined;
  let offset = 0;
  const lim = payload.limit;
  if (typeof lim === "number") limit = nonNegativeInt(lim, `${path}.limit`);
  else if (isObject(lim)) {
    if (lim.limit !== undefined && lim.limit !== null) limit = nonNegativeInt(lim.limit, `${path}.limit.limit`);
    if (lim.offset !== undefined && lim.offset !== null) offset = nonNegativeInt(lim.offset, `${path}.limit.offset`);
  } else if (lim !== undefined && lim !== null) {
    throw new InvalidArgumentError(`Expected '${path}.limit' to be {limit, offset}`);
  }

  const select: string[] = [];
  const sel = payload.select;
  const keys: unknown = Array.isArray(sel) ? sel : isObject(sel) ? sel.keys : sel;
  if (keys !== undefined && keys !== null) {
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
      throw new InvalidArgumentError(`Expected '${path}.select.keys' to be a list of strings`);
    }
    for (const k of keys) if (!select.includes(k)) select.push(k);
  }
  return { filter: parsed.filter, ids, rank, knns, limit, offset, select };
}

// ------------------------------------------------------------------ evaluation

/** A Knn term's result: rid → [score (distance or 0-based rank), ...]. */
export type KnnResult = Map<number, number>;

/**
 * Scores one candidate. Returns undefined when a `$knn` without a default does not list it: Chroma
 * keeps only the records every such Knn found.
 */
export function evaluateRank(node: RankNode, rid: number, knns: KnnSpec[], results: KnnResult[]): number | undefined {
  switch (node.kind) {
    case "knn": {
      const v = results[node.index]!.get(rid);
      return v ?? knns[node.index]!.default;
    }
    case "val":
      return node.value;
    case "sum":
    case "mul":
    case "max":
    case "min": {
      let acc: number | undefined;
      for (const child of node.children) {
        const v = evaluateRank(child, rid, knns, results);
        if (v === undefined) return undefined;
        acc =
          acc === undefined
            ? v
            : node.kind === "sum"
              ? acc + v
              : node.kind === "mul"
                ? acc * v
                : node.kind === "max"
                  ? Math.max(acc, v)
                  : Math.min(acc, v);
      }
      return acc;
    }
    case "sub":
    case "div": {
      const l = evaluateRank(node.left, rid, knns, results);
      const r = evaluateRank(node.right, rid, knns, results);
      if (l === undefined || r === undefined) return undefined;
      return node.kind === "sub" ? l - r : l / r;
    }
    case "abs":
    case "exp":
    case "log": {
      const v = evaluateRank(node.child, rid, knns, results);
      if (v === undefined) return undefined;
      return node.kind === "abs" ? Math.abs(v) : node.kind === "exp" ? Math.exp(v) : Math.log(v);
    }
  }
}
