/**
 * Filters: validation of Chroma's `where` / `whereDocument` objects and their normalised form, the
 * tree the store compiles to SQL. Pure data, no I/O.
 */
import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";
import type * as rregex from "rregex";
import { InvalidArgumentError } from "../errors.js";
import type { Where, WhereDocument } from "../types.js";
import { checkFilterLimits } from "./filter-limits.js";
import { describe, isObject } from "./json.js";
import { WholeFloat } from "./numbers.js";
import { assertWellFormed } from "./text.js";

/**
 * Type tag of a stored metadata value: string, number or boolean. The store indexes metadata by these
 * tags and filters look them up by the same, so both take them from tagValue and arrayTag below.
 */
export type ValueTag = "s" | "n" | "b";
export interface TaggedValue {
  tag: ValueTag;
  /** Strings as-is, numbers as numbers (bigint beyond 2^53, bound as SQLite INTEGER), booleans as 1/0. */
  value: string | number | bigint;
}

export type MetaOp = "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "nin" | "contains" | "not_contains";
export type DocOp = "contains" | "not_contains" | "regex" | "not_regex";

export type FilterNode =
  | { kind: "and"; children: FilterNode[] }
  | { kind: "or"; children: FilterNode[] }
  | { kind: "meta"; key: string; op: MetaOp; values: TaggedValue[] }
  | { kind: "doc"; op: DocOp; text: string };

const META_OPERATORS = ["$gt", "$gte", "$lt", "$lte", "$ne", "$eq", "$in", "$nin", "$contains", "$not_contains"];
const DOC_OPERATORS = ["$contains", "$not_contains", "$regex", "$not_regex", "$and", "$or"];

/** The tag and stored form of a metadata value (scalar or array element); undefined for anything else. */
export function tagValue(v: unknown): TaggedValue | undefined {
  if (typeof v === "string") return { tag: "s", value: v };
  if (typeof v === "boolean") return { tag: "b", value: v ? 1 : 0 };
  if (typeof v === "number" && Number.isFinite(v)) {
    // A whole number beyond 2^53 goes to SQLite as the integer it is exactly: JSON text of the double
    // (for `$in`) would be its shortest form, another integer (2^60 + 256 writes as ...847200).
    const exact = Number.isInteger(v) && !Number.isSafeInteger(v) && Math.abs(v) < 2 ** 63;
    return { tag: "n", value: exact ? BigInt(v) : v };
  }
  if (typeof v === "bigint") return { tag: "n", value: v };
  if (v instanceof WholeFloat && Number.isFinite(v.value)) return { tag: "n", value: v.value };
  return undefined;
}

/** The tag of an element of an array value: upper case, so `$contains` never matches a scalar. */
export function arrayTag(tag: ValueTag): string {
  return tag.toUpperCase();
}

/** Validates a `where` object and returns its normalised tree. Throws {@link InvalidArgumentError}. */
export function parseWhere(where: unknown, path = "where"): FilterNode {
  if (!isObject(where)) {
    throw new InvalidArgumentError(`Invalid where clause: expected '${path}' to be an object, got ${describe(where)}`);
  }
  const keys = Object.keys(where);
  if (keys.length !== 1) {
    throw new InvalidArgumentError(
      `Invalid where clause: expected '${path}' to have exactly one operator or field, but got ${keys.length}`,
    );
  }
  const key = keys[0]!;
  assertWellFormed(key, `${path}.${key}`);
  const operand = where[key];
  if (key === "$and" || key === "$or") {
    if (!Array.isArray(operand) || operand.length === 0) {
      throw new InvalidArgumentError(
        `Invalid where clause: expected '${path}.${key}' to be a non-empty list of where expressions, got ${describe(operand)}`,
      );
    }
    return {
      kind: key === "$and" ? "and" : "or",
      children: operand.map((child, i) => parseWhere(child, `${path}.${key}[${i}]`)),
    };
  }
  if (key.startsWith("$")) {
    throw new InvalidArgumentError(`Invalid where clause: unknown logical operator '${key}' in '${path}'`);
  }
  const fieldPath = `${path}.${key}`;
  if (typeof operand === "string") assertWellFormed(operand, fieldPath);
  refuseOutOfRange(operand, fieldPath);
  if (!isObject(operand)) {
    const tagged = tagValue(operand);
    if (!tagged) {
      throw new InvalidArgumentError(
        `Invalid where clause: '${fieldPath}' must be a string, number, boolean or an operator object, got ${describe(operand)}`,
      );
    }
    return { kind: "meta", key, op: "eq", values: [tagged] };
  }
  const ops = Object.keys(operand);
  if (ops.length !== 1) {
    throw new InvalidArgumentError(
      `Invalid where clause: expected '${fieldPath}' to have exactly one operator, but got ${ops.length}`,
    );
  }
  const op = ops[0]!;
  const arg = operand[op];
  for (const [i, v] of (Array.isArray(arg) ? arg : [arg]).entries()) {
    const at = Array.isArray(arg) ? `${fieldPath}.${op}[${i}]` : `${fieldPath}.${op}`;
    if (typeof v === "string") assertWellFormed(v, at);
    refuseOutOfRange(v, at);
  }
  if (!META_OPERATORS.includes(op)) {
    throw new InvalidArgumentError(
      `Invalid where clause: expected operator in '${fieldPath}' to be one of ${META_OPERATORS.join(", ")}, but got ${op}`,
    );
  }
  const name = op.slice(1) as MetaOp;
  if (op === "$in" || op === "$nin") {
    if (!Array.isArray(arg) || arg.length === 0) {
      throw new InvalidArgumentError(
        `Invalid where clause: expected '${fieldPath}.${op}' to be a non-empty list of values of one type, got ${describe(arg)}`,
      );
    }
    const values = arg.map((v) => tagValue(v));
    const firstTag = values[0]?.tag;
    if (values.some((v) => v === undefined || v.tag !== firstTag)) {
      throw new InvalidArgumentError(
        `Invalid where clause: expected '${fieldPath}.${op}' to be a non-empty list of values of one type, got ${describe(arg)}`,
      );
    }
    return { kind: "meta", key, op: name, values: values as TaggedValue[] };
  }
  const tagged = tagValue(arg);
  if (!tagged) {
    throw new InvalidArgumentError(
      `Invalid where clause: '${fieldPath}.${op}' must be a string, number or boolean, got ${describe(arg)}`,
    );
  }
  if ((op === "$gt" || op === "$gte" || op === "$lt" || op === "$lte") && tagged.tag !== "n") {
    throw new InvalidArgumentError(
      `Invalid where clause: expected operand value to be a number for ${op} in '${fieldPath}', but got ${describe(arg)}`,
    );
  }
  return { kind: "meta", key, op: name, values: [tagged] };
}

/**
 * An integer literal beyond int64 in a filter (only a JSON body can hold one): Chroma answers "Invalid
 * where clause", though it stores the same literal in metadata, as a float.
 */
function refuseOutOfRange(v: unknown, path: string): void {
  if (v instanceof WholeFloat && v.intLiteral) {
    throw new InvalidArgumentError(`Invalid where clause: '${path}' is an integer outside the int64 range`);
  }
}

/** Validates a `whereDocument` object and returns its normalised tree. Throws {@link InvalidArgumentError}. */
export function parseWhereDocument(whereDocument: unknown, path = "whereDocument"): FilterNode {
  if (!isObject(whereDocument)) {
    throw new InvalidArgumentError(
      `Invalid where document clause: expected '${path}' to be an object, got ${describe(whereDocument)}`,
    );
  }
  const keys = Object.keys(whereDocument);
  if (keys.length !== 1) {
    throw new InvalidArgumentError(
      `Invalid where document clause: expected '${path}' to have exactly one operator, but got ${keys.length}`,
    );
  }
  const op = keys[0]!;
  const arg = whereDocument[op];
  if (!DOC_OPERATORS.includes(op)) {
    throw new InvalidArgumentError(
      `Invalid where document clause: expected operator in '${path}' to be one of ${DOC_OPERATORS.join(", ")}, but got ${op}`,
    );
  }
  if (op === "$and" || op === "$or") {
    if (!Array.isArray(arg) || arg.length === 0) {
      throw new InvalidArgumentError(
        `Invalid where document clause: expected '${path}.${op}' to be a non-empty list, got ${describe(arg)}`,
      );
    }
    return {
      kind: op === "$and" ? "and" : "or",
      children: arg.map((child, i) => parseWhereDocument(child, `${path}.${op}[${i}]`)),
    };
  }
  if (typeof arg !== "string") {
    throw new InvalidArgumentError(
      `Invalid where document clause: '${path}.${op}' must be a string, got ${describe(arg)}`,
    );
  }
  assertWellFormed(arg, `${path}.${op}`);
  if (op === "$regex" || op === "$not_regex") compileRegex(arg, `${path}.${op}`);
  return { kind: "doc", op: op.slice(1) as DocOp, text: arg };
}

/**
 * Chroma matches `$regex` with Rust's `regex` crate; rregex is that crate compiled to WebAssembly, so
 * the syntax and the Unicode-aware classes (`\w \d \s \b`, `[\p{L}&&\p{Ll}]`, `[\d--3]`) are the same
 * engine's, and matching is linear time: no pattern can hang the process. Loaded through its CommonJS
 * build, which instantiates the module synchronously (the ESM build awaits at top level, which would
 * keep `require("chromalite")` from working), on the first pattern: its WebAssembly module is ~7 MB
 * that a process without `$regex` never needs.
 */
let RRegexClass: typeof rregex.RRegex | undefined;

/** A compiled document regex. */
export interface DocumentRegex {
  /** True when the pattern matches somewhere in `text`. */
  test(text: string): boolean;
}

/** Compiled patterns: apps repeat the same few; a compile costs far more than a lookup. */
const regexCache = new LRUCache<string, DocumentRegex>({ max: 256 });

/** Compiles a document regex (cached); a syntax error is an {@link InvalidArgumentError}. */
export function compileRegex(pattern: string, path = "whereDocument.$regex"): DocumentRegex {
  let re = regexCache.get(pattern);
  if (re) return re;
  let compiled: rregex.RRegex;
  try {
    RRegexClass ??= (createRequire(import.meta.url)("rregex") as typeof rregex).RRegex;
    compiled = new RRegexClass(pattern);
  } catch (err) {
    throw new InvalidArgumentError(
      `Regex syntax error in '${path}': ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (hasByteClass(compiled.syntax())) {
    throw new InvalidArgumentError(`Regex syntax error in '${path}': Byte pattern is not allowed`);
  }
  // Evicted entries are not freed by hand (a caller may still hold one); the wasm side is released
  // when the object is collected.
  re = { test: (text) => compiled.isMatch(text) };
  regexCache.set(pattern, re);
  return re;
}

/**
 * True when the parsed pattern holds a byte class: ASCII-only classes asked for with `(?-u:...)`,
 * and the empty class of a pattern that can never match (`[\p{L}&&]`). Chroma refuses those ("Byte
 * pattern is not allowed"), so chromalite does too.
 */
function hasByteClass(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasByteClass);
  if (typeof node !== "object" || node === null) return false;
  const n = node as Record<string, unknown>;
  if (n["@name"] === "regex_syntax::hir::Class" && n["@variant"] === "Bytes") return true;
  return Object.values(n).some(hasByteClass);
}

/** Combines optional trees with AND. */
export function andFilters(...nodes: (FilterNode | undefined)[]): FilterNode | undefined {
  const present = nodes.filter((n): n is FilterNode => n !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return { kind: "and", children: present };
}

export function parseFilters(where: Where | undefined, whereDocument: WhereDocument | undefined): FilterNode | undefined {
  checkFilterLimits(where, "where");
  checkFilterLimits(whereDocument, "whereDocument");
  return andFilters(
    where === undefined ? undefined : parseWhere(where),
    whereDocument === undefined ? undefined : parseWhereDocument(whereDocument),
  );
}
