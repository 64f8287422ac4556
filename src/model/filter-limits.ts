/**
 * Size limits of a filter (`where`, `whereDocument`, a Search `filter`), checked on the raw JSON
 * before it is parsed, without recursion: one request must not be able to make unbounded work
 * (a megabyte `$contains`, a regex that takes seconds to compile) or overflow the stack. Each limit
 * is above what Chroma accepts in practice; past one, the answer is a 400 that names it.
 */
import { InvalidArgumentError } from "../errors.js";
import { isObject } from "./json.js";

export const FILTER_LIMITS = {
  /**
   * Nesting of objects and lists in one filter. Chroma's server refuses JSON nested deeper than 128
   * (serde_json's recursion limit), about 60 levels of `$and`/`$or`.
   */
  depth: 128,
  /** Objects (conditions, `$and`/`$or`, operator objects) in one filter. Each compiles to SQL with a few bound values. */
  nodes: 2_000,
  /** Characters of a `$contains` / `$not_contains` string. */
  containsChars: 65_536,
  /**
   * Characters of a `$regex` / `$not_regex` pattern. It is compiled on the main thread, in time about
   * linear in its length: up to ~30 ms at this length here.
   */
  regexChars: 2_048,
} as const;

const PATTERN_LIMITS: Record<string, number> = {
  $contains: FILTER_LIMITS.containsChars,
  $not_contains: FILTER_LIMITS.containsChars,
  $regex: FILTER_LIMITS.regexChars,
  $not_regex: FILTER_LIMITS.regexChars,
};

/** Throws InvalidArgumentError when `filter` exceeds one of FILTER_LIMITS. */
export function checkFilterLimits(filter: unknown, path: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value: filter, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    const children = Array.isArray(value) ? value : isObject(value) ? Object.entries(value) : undefined;
    if (children === undefined) continue;
    if (depth > FILTER_LIMITS.depth) {
      throw new InvalidArgumentError(`Invalid filter: '${path}' is nested more than ${FILTER_LIMITS.depth} levels deep`);
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    if (++nodes > FILTER_LIMITS.nodes) {
      throw new InvalidArgumentError(`Invalid filter: '${path}' has more than ${FILTER_LIMITS.nodes} conditions and operators`);
    }
    for (const [key, child] of children as [string, unknown][]) {
      const limit = PATTERN_LIMITS[key];
      if (limit !== undefined && typeof child === "string" && child.length > limit) {
        throw new InvalidArgumentError(
          `Invalid filter: the ${key} string in '${path}' is ${child.length} characters long; the limit is ${limit}`,
        );
      }
      stack.push({ value: child, depth: depth + 1 });
    }
  }
}
