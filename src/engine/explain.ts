/**
 * What a query's plan was, for `explain` (the console, and the server's explain endpoint): which of
 * the reader's plans answered it and how many records it considered. Filled by the reader as it
 * decides, so it reports the plan actually run, not a guess made beside it.
 */

/** The reader's plans (reader.ts), by the name the docs use. */
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

export function emptyPlan(searchable: number, reason: string): QueryPlan {
  return { plan: "empty", searchable, allowed: null, candidates: 0, ef: null, estimatedMatches: null, reason };
}
