/**
 * The Search API's answer, for both doors (the client's `SearchResult`, the server's JSON): which
 * stored columns a `select` needs, and the response in Chroma's `SearchResponse` shape. Pure.
 */
import type { Metadata } from "../types.js";
import { shortestF32, vectorToNumbers } from "../util/float32.js";
import type { Columns } from "./include.js";
import type { RecordRow } from "./records.js";
import { DOCUMENT_KEY, EMBEDDING_KEY, ID_KEY, METADATA_KEY, SCORE_KEY, type SearchPlan } from "./search.js";

/** One record a search found, with its rank score (null when the search has no rank). */
export interface RankedRecord {
  row: RecordRow;
  score: number | null;
  /** With `plan.explain`: what each `$knn` of the rank gave this record (those whose list holds it). */
  knns?: KnnContribution[];
}

/** One BM25 query term's part of a hit's score: FTS5's single-term `bm25()`, negative, lower is better. */
export interface Bm25TermScore {
  /** The term id (chroma_bm25's sparse index: murmur3 of the stemmed term). */
  id: number;
  /** The stemmed term, when the query was a text (a sparse vector names ids only). */
  term: string | null;
  score: number;
}

/** What one `$knn` gave a hit: its place in that Knn's list and its distance or BM25 score there. */
export interface KnnContribution {
  /** The Knn's position among the rank's `$knn` terms, in request order. */
  knn: number;
  key: string;
  /** 0-based place in the Knn's own list (what `return_rank` uses). */
  rank: number;
  /** The distance (`#embedding`) or the BM25 score (`#document`: the sum of `terms`' scores). */
  score: number;
  /** BM25 only: each query term the document holds, with its part of the score. */
  terms?: Bm25TermScore[];
}

/** Explain of one search: per hit, its final score and what each `$knn` gave it. */
export interface SearchExplain {
  hits: { id: string; score: number | null; knns: KnnContribution[] }[];
}

export function searchExplain(hits: RankedRecord[][]): SearchExplain[] {
  return hits.map((list) => ({ hits: list.map((h) => ({ id: h.row.id, score: h.score, knns: h.knns ?? [] })) }));
}

/** The JSON the server answers (Chroma's `SearchResponse`). */
export interface SearchResponse {
  ids: string[][];
  documents: ((string | null)[] | null)[];
  embeddings: ((number[] | null)[] | null)[];
  metadatas: ((Metadata | null)[] | null)[];
  scores: ((number | null)[] | null)[];
  select: string[][];
}

const FIXED_KEYS = new Set([ID_KEY, DOCUMENT_KEY, EMBEDDING_KEY, METADATA_KEY, SCORE_KEY]);

/** Which stored columns a search's `select` needs. */
export function columnsForSelect(select: string[]): Columns {
  return {
    documents: select.includes(DOCUMENT_KEY),
    embeddings: select.includes(EMBEDDING_KEY),
    metadatas: select.some((k) => k === METADATA_KEY || !FIXED_KEYS.has(k)),
    uris: false,
  };
}

/**
 * The response of a search request: `#document`, `#embedding`, `#score` and `#metadata` (the
 * whole metadata) fill their column; other selected keys are metadata fields, returned as a metadata
 * map of just those keys.
 */
export function searchResponse(plans: SearchPlan[], hits: RankedRecord[][]): SearchResponse {
  const response: SearchResponse = { ids: [], documents: [], embeddings: [], metadatas: [], scores: [], select: [] };
  plans.forEach((plan, s) => {
    const list = hits[s] ?? [];
    const sel = plan.select;
    const fields = sel.filter((k) => !FIXED_KEYS.has(k));
    response.ids.push(list.map((h) => h.row.id));
    response.documents.push(sel.includes(DOCUMENT_KEY) ? list.map((h) => h.row.document) : null);
    response.embeddings.push(sel.includes(EMBEDDING_KEY) ? list.map((h) => (h.row.embedding ? vectorToNumbers(h.row.embedding) : null)) : null);
    // Scores are float32 in Chroma; shown in their shortest form, as query distances are.
    response.scores.push(sel.includes(SCORE_KEY) ? list.map((h) => (h.score === null ? null : shortestF32(h.score))) : null);
    if (sel.includes(METADATA_KEY)) response.metadatas.push(list.map((h) => h.row.metadata));
    else if (fields.length > 0) {
      response.metadatas.push(
        list.map((h) => {
          const m = h.row.metadata;
          if (!m) return null;
          const out: Metadata = {};
          for (const f of fields) if (f in m) out[f] = m[f]!;
          return out;
        }),
      );
    } else response.metadatas.push(null);
    response.select.push([...sel]);
  });
  return response;
}
