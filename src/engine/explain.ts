/**
 * What a query's plan was, for `explain` (the console, and the server's explain endpoint): which of
 * the reader's plans answered it and how many records it considered. Filled by the reader as it
 * decides, so it reports the plan actually run, not a guess made beside it.
 */

import type { QueryPlan } from "../types.js";

export type { PlanKind, QueryPlan } from "../types.js";

export function emptyPlan(searchable: number, reason: string): QueryPlan {
  return { plan: "empty", searchable, allowed: null, candidates: 0, ef: null, estimatedMatches: null, reason };
}
