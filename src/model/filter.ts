/**
 * Filters: validation of Chroma's `where` / `whereDocument` objects and their normalised form, the
 * tree the store compiles to SQL. Pure data, no I/O.
 */
import { RE2JS } from "re2js";
import { InvalidArgumentError } from "../errors.js";
import type { Where, WhereDocument } from "../types.js";
import { checkFilterLimits } from "./filter-limits.js";
import { describe, isObject } from "./json.js";

/**
 * Type tag of a stored metadata value: string, number or boolean. The store indexes metadata by these
 * tags and filters look them up by the same, so both take them from tagValue and arrayTag below.
 */
export type ValueTag = "s" | "n" | "b";
export interface TaggedValue {
  tag: ValueTag;
  /** Strings as-is, numbers as-is, booleans as 1/0. */
  value: string | number;
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
  if (typeof v === "number" && Number.isFinite(v)) return { tag: "n", value: v };
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
  if (op === "$regex" || op === "$not_regex") compileRegex(arg, `${path}.${op}`);
  return { kind: "doc", op: op.slice(1) as DocOp, text: arg };
}

const regexCache = new Map<string, RE2JS>();

/**
 * Compiles a document regex with RE2JS: linear-time matching, so no pattern can hang the process
 * (the Rust `regex` crate Chroma uses makes the same guarantee and shares RE2's syntax).
 */
export function compileRegex(pattern: string, path = "whereDocument.$regex"): RE2JS {
  let re = regexCache.get(pattern);
  if (re) return re;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new InvalidArgumentError(
      `Regex syntax error in '${path}': ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (regexCache.size > 256) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
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
