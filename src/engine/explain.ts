/**
 * What a query's plan was, for `explain` (the console, and the server's explain endpoint): which of
 * the reader's plans answered it and how many records it considered. Filled by the reader as it
 * decides, so it reports the plan actually run, not a guess made beside it. For the Search API,
 * what each `$knn` gave a hit, with BM25's score split by query term.
 */

import type { KnnSpec } from "../model/search.js";
import type { Bm25TermScore } from "../model/search-result.js";
import type { QueryPlan } from "../types.js";

export type { PlanKind, QueryPlan } from "../types.js";

export function emptyPlan(searchable: number, reason: string): QueryPlan {
  return { plan: "empty", searchable, allowed: null, candidates: 0, ef: null, estimatedMatches: null, reason };
}

/** Ranks records by BM25 term ids (SqliteStore.bm25 for one collection). */
type Bm25Rank = (termIds: number[], limit: number, allowed: (rid: number) => boolean) => { rid: number; score: number }[];

/**
 * Each query term's part of the BM25 scores of `hits` (a BM25 Knn's list): FTS5 adds a record's
 * single-term `bm25()` scores over the distinct query terms in query order, so each term is ranked
 * alone over just these records, and the parts, added in the order returned, give the hit's score.
 */
export function bm25TermScores(rank: Bm25Rank, knn: Extract<KnnSpec, { source: "bm25" }>, hits: number[]): Map<number, Bm25TermScore[]> {
  const within = new Set(hits);
  const out = new Map<number, Bm25TermScore[]>(hits.map((rid) => [rid, []]));
  const seen = new Set<number>();
  knn.termIds.forEach((id, j) => {
    if (seen.has(id)) return;
    seen.add(id);
    const term = knn.terms?.[j] ?? null;
    for (const h of rank([id], within.size, (rid) => within.has(rid))) out.get(h.rid)?.push({ id, term, score: h.score });
  });
  return out;
}
