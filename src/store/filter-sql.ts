/**
 * Compiles a normalised filter tree to one SQLite query that yields the matching record rowids of a
 * collection, in rowid (insertion) order. Metadata conditions read the `record_meta` index; negations
 * are "all records EXCEPT the positive set", which is how a record without the key comes to match
 * `$ne` / `$nin` / `$not_contains`, as in Chroma.
 */
import { arrayTag, type FilterNode, type TaggedValue } from "../model/filter.js";

export interface CompiledFilter {
  sql: string;
  params: unknown[];
}

const COMPARATORS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function allRecords(cid: number): CompiledFilter {
  return { sql: "SELECT rid FROM records WHERE cid = ?", params: [cid] };
}

function except(cid: number, positive: CompiledFilter): CompiledFilter {
  const all = allRecords(cid);
  return {
    sql: `${all.sql} EXCEPT SELECT rid FROM (${positive.sql})`,
    params: [...all.params, ...positive.params],
  };
}

/**
 * Keys Chroma keeps a record's document and uri under: `where` on them filters those columns, which
 * hold strings only (records cannot store `chroma:*` keys of their own, see model/records.ts).
 */
const RECORD_COLUMN_KEYS: ReadonlyMap<string, "document" | "uri"> = new Map([
  ["chroma:document", "document"],
  ["chroma:uri", "uri"],
]);

const NOTHING = "SELECT rid FROM records WHERE 0";

function columnMatch(cid: number, column: "document" | "uri", tag: string, values: TaggedValue[]): CompiledFilter {
  if (tag !== "s") return { sql: NOTHING, params: [] };
  if (values.length === 1) return { sql: `SELECT rid FROM records WHERE cid = ? AND ${column} = ?`, params: [cid, values[0]!.value] };
  return {
    sql: `SELECT rid FROM records WHERE cid = ? AND ${column} IN (SELECT value FROM json_each(?))`,
    params: [cid, JSON.stringify(values.map((v) => v.value))],
  };
}

function metaMatch(cid: number, key: string, tag: string, values: TaggedValue[]): CompiledFilter {
  const column = RECORD_COLUMN_KEYS.get(key);
  if (column) return columnMatch(cid, column, tag, values);
  if (values.length === 1) {
    return {
      sql: "SELECT rid FROM record_meta WHERE cid = ? AND key = ? AND t = ? AND v = ?",
      params: [cid, key, tag, values[0]!.value],
    };
  }
  return {
    sql: "SELECT rid FROM record_meta WHERE cid = ? AND key = ? AND t = ? AND v IN (SELECT value FROM json_each(?))",
    params: [cid, key, tag, JSON.stringify(values.map((v) => v.value))],
  };
}

/**
 * `contains` may answer a `$contains` with an index (fulltext/contains-planner.ts); it returns exactly the rids the
 * scan would, or undefined to keep the scan.
 */
export function compileFilter(
  node: FilterNode,
  cid: number,
  contains?: (text: string) => CompiledFilter | undefined,
): CompiledFilter {
  switch (node.kind) {
    case "and":
    case "or": {
      const parts = node.children.map((child) => compileFilter(child, cid, contains));
      if (parts.length === 1) return parts[0]!;
      const op = node.kind === "and" ? " INTERSECT " : " UNION ";
      return {
        sql: parts.map((p) => `SELECT rid FROM (${p.sql})`).join(op),
        params: parts.flatMap((p) => p.params),
      };
    }
    case "meta": {
      const tag = node.values[0]!.tag;
      switch (node.op) {
        case "eq":
        case "in":
          return metaMatch(cid, node.key, tag, node.values);
        case "ne":
        case "nin":
          return except(cid, metaMatch(cid, node.key, tag, node.values));
        case "contains":
          return metaMatch(cid, node.key, arrayTag(tag), node.values);
        case "not_contains":
          return except(cid, metaMatch(cid, node.key, arrayTag(tag), node.values));
        case "gt":
        case "gte":
        case "lt":
        case "lte":
          if (RECORD_COLUMN_KEYS.has(node.key)) return { sql: NOTHING, params: [] }; // strings only
          return {
            sql: `SELECT rid FROM record_meta WHERE cid = ? AND key = ? AND t = 'n' AND v ${COMPARATORS[node.op]} ?`,
            params: [cid, node.key, node.values[0]!.value],
          };
      }
      break;
    }
    case "doc": {
      switch (node.op) {
        case "contains":
          return contains?.(node.text) ?? containsSql(cid, node.text);
        case "not_contains":
          return except(cid, contains?.(node.text) ?? containsSql(cid, node.text));
        case "regex":
          return regexSql(cid, node.text);
        case "not_regex":
          return except(cid, regexSql(cid, node.text));
      }
    }
  }
  throw new Error(`unreachable filter node ${JSON.stringify(node)}`);
}

function containsSql(cid: number, text: string): CompiledFilter {
  // instr() is an exact, case-sensitive substring test; a NULL document never matches, as in Chroma.
  return { sql: "SELECT rid FROM records WHERE cid = ? AND instr(document, ?) > 0", params: [cid, text] };
}

function regexSql(cid: number, pattern: string): CompiledFilter {
  return {
    sql: "SELECT rid FROM records WHERE cid = ? AND document IS NOT NULL AND chromalite_regexp(?, document)",
    params: [cid, pattern],
  };
}
