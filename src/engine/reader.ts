/**
 * Reading a collection: which records a filter allows, the plans that find the nearest records
 * (exact scan, HNSW with an allow-list, or search first and check documents after), Search API
 * ranking, and fetching the rows. The engine takes the locks and validates; everything here runs
 * under its read lock.
 */
import { InvalidArgumentError } from "../errors.js";
import type { Columns } from "../model/include.js";
import type { FilterNode } from "../model/filter.js";
import { DOCUMENT_KEY, EMBEDDING_KEY, evaluateRank, type KnnResult, type SearchPlan } from "../model/search.js";
import type { RecordRow } from "../model/records.js";
import type { KnnContribution, RankedRecord } from "../model/search-result.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { type OperationScope, yieldToEventLoop } from "../util/abort.js";
import type { CollectionState } from "./collection-state.js";
import { bm25TermScores, emptyPlan, type QueryPlan } from "./explain.js";
import { effectiveEf } from "../vector/hnsw-index.js";
import type { Scored } from "./top-k.js";
import { RidSet } from "./rid-set.js";
import { stringifyExact } from "../model/numbers.js";


/** @internal Below this many vectors a query scans exactly: about as fast as HNSW there, and exact. */
export const EXACT_SCAN_MAX_TOTAL = 256;
/** An exact scan of more rows than this (a few ms in native code) lets the event loop turn first. */
const EXACT_SCAN_YIELD_ROWS = 20_000;
/** A filter that keeps at most this many records is answered by an exact scan of them. */
export const EXACT_SCAN_MAX_CANDIDATES = 3000;
/**
 * Search first, filter after, reads at most this many nearest records (see #searchThenFilter); beyond
 * it, finding every match first is the cheaper plan.
 */
const SEARCH_FIRST_MAX_READ = 4000;
/** What reading one nearest record costs in search-first (HNSW search plus its check), relative to verifying one candidate. */
const SEARCH_FIRST_READ_COST = 1.5;
/** A `$contains` with at most this many index candidates is answered by ranking them exactly and checking documents nearest first. */
const NEAREST_FIRST_MAX_CANDIDATES = 60_000;
/** How many of the nearest candidates are ranked and checked before falling back to checking them all. */
const NEAREST_FIRST_RANKED = 4096;

/** The common elements of two ascending arrays. */
function intersectSorted(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
}

export class CollectionReader {
  readonly #store: SqliteStore;

  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /**
   * The `nResults` nearest records to each query within `ids` and `filter`. A document condition alone
   * may take a plan of its own (search first when it is broad, nearest candidates first for a
   * `$contains`), chosen from one estimate for all the queries; the rest filter first, as usual.
   * With `plans`, each query's plan is recorded there (explain.ts).
   */
  async nearest(
    state: CollectionState,
    queries: Float32Array[],
    args: { nResults: number; ids?: string[]; filter?: FilterNode },
    scope: OperationScope,
    plans?: QueryPlan[],
  ): Promise<Scored[][]> {
    const scored: (Scored[] | undefined)[] = queries.map(() => undefined);
    // Not for $regex: checking candidates one by one would run the regex on this thread (see
    // store/regex-scan.ts); filtering first runs it off the main thread.
    const doc = args.ids === undefined && args.filter?.kind === "doc" ? args.filter : undefined;
    const filter = doc && doc.op !== "regex" && doc.op !== "not_regex" ? doc : undefined;
    const estimate = filter && state.row.dimension !== null ? this.#store.estimateDocumentCondition(state.cid, filter) : undefined;
    if (filter && estimate) {
      const cached = state.reads.filter(stringifyExact(filter)) !== undefined;
      if (!cached) queries.forEach((q, i) => (scored[i] = this.#searchThenFilter(state, q, args.nResults, filter, estimate, plans, i)));
      const rest = scored.flatMap((list, i) => (list === undefined ? [i] : []));
      // Not when the candidates are far too many: reading them would be wasted.
      if (rest.length > 0 && filter.op === "contains" && estimate.verified <= 2 * NEAREST_FIRST_MAX_CANDIDATES) {
        const candidates = this.#store.containsCandidates(state.cid, filter.text);
        if (candidates !== undefined && candidates.length <= NEAREST_FIRST_MAX_CANDIDATES) {
          const found = await this.#nearestContaining(state, rest.map((i) => queries[i]!), args.nResults, candidates, filter, scope);
          rest.forEach((qi, j) => {
            scored[qi] = found[j];
            if (plans && found[j] !== undefined) {
              plans[qi] = {
                plan: "nearest-first-contains",
                searchable: state.searchableCount,
                allowed: null,
                candidates: candidates.length,
                ef: null,
                estimatedMatches: estimate.matches,
                reason: `the $contains pattern has ${candidates.length} index candidates (at most ${NEAREST_FIRST_MAX_CANDIDATES}): ranked exactly, documents checked nearest first`,
              };
            }
          });
        }
      }
    }
    const rest = scored.flatMap((list, i) => (list === undefined ? [i] : []));
    if (rest.length > 0) {
      const restPlans: QueryPlan[] | undefined = plans ? [] : undefined;
      const found = await this.#filterThenSearch(state, rest.map((i) => queries[i]!), args, scope, restPlans);
      rest.forEach((qi, j) => {
        scored[qi] = found[j]!;
        if (plans && restPlans?.[j]) plans[qi] = restPlans[j];
      });
    }
    return scored.map((list) => list!);
  }

  /**
   * The exact nearest records containing a pattern, from its unverified index candidates: the
   * nearest NEAREST_FIRST_RANKED candidates are ranked exactly (vectors are mostly in memory), then
   * their documents are checked nearest first until `k` match. Reads only as many documents as it
   * takes to find them, where verifying every candidate first would read them all. Undefined for a
   * query whose ranked candidates hold fewer than `k` matches while more candidates remain (then the
   * caller finds every match first).
   */
  async #nearestContaining(
    state: CollectionState,
    queries: Float32Array[],
    k: number,
    candidates: number[],
    filter: FilterNode & { kind: "doc" },
    scope: OperationScope,
  ): Promise<(Scored[] | undefined)[]> {
    if (k <= 0 || state.row.dimension === null || candidates.length === 0) return queries.map(() => []);
    const ranked = await this.#exactScan(state, queries, Math.min(candidates.length, NEAREST_FIRST_RANKED), candidates, scope);
    const contains = new Map<number, boolean>();
    const out: (Scored[] | undefined)[] = [];
    for (const list of ranked) {
      const hits: Scored[] = [];
      let batch = 32;
      for (let i = 0; i < list.length && hits.length < k; i += batch, batch = Math.min(batch * 4, 4096)) {
        const slice = list.slice(i, i + batch);
        // Reading documents in rowid order is faster than in distance order: larger batches are sorted.
        const unknown = slice.filter((s) => !contains.has(s.rid)).map((s) => s.rid);
        if (batch > 32) unknown.sort((a, b) => a - b);
        if (unknown.length > 0) {
          const matched = this.#store.checkDocumentCondition(state.cid, filter, unknown);
          for (const rid of unknown) contains.set(rid, matched.has(rid));
        }
        for (const s of slice) if (hits.length < k && contains.get(s.rid)) hits.push(s);
        if (batch >= 512) {
          scope.check();
          await yieldToEventLoop();
        }
      }
      // Matches beyond the ranked candidates are all farther than those ranked: with k found, exact.
      out.push(hits.length < k && candidates.length > list.length ? undefined : hits);
    }
    return out;
  }

  /** The records a query may return (ids ∩ filter), or undefined when unrestricted. Filter results are cached. */
  allowedFor(state: CollectionState, ids: string[] | undefined, filter: FilterNode | undefined): RidSet | undefined {
    if (ids === undefined && filter === undefined) return undefined;
    if (ids !== undefined) return new RidSet(this.resolveRids(state.cid, ids, filter));
    const key = stringifyExact(filter);
    let set = state.reads.filter(key);
    if (!set) {
      set = new RidSet(this.#store.selectRids(state.cid, filter));
      state.reads.keepFilter(key, set);
    }
    return set;
  }

  /**
   * Search quality (as Qdrant's): for each query, the `k` nearest by an exact scan of every vector
   * and by HNSW alone (no exact fallback), so a caller can compute recall.
   */
  async compareExactAndAnn(state: CollectionState, queries: Float32Array[], k: number, scope: OperationScope): Promise<{ exact: number[][]; ann: number[][] }> {
    const all = this.#store.selectRids(state.cid, undefined);
    const exact: number[][] = [];
    const ann: number[][] = [];
    for (const q of queries) {
      scope.check();
      exact.push(state.exactSearch([q], k, all)[0]!.map((s) => s.rid));
      ann.push(state.annSearch(q, k, undefined).map((s) => s.rid));
      await yieldToEventLoop();
    }
    return { exact, ann };
  }

  /** Resolves ids and filters to rowids, in insertion order. */
  resolveRids(cid: number, ids: string[] | undefined, filter: FilterNode | undefined): number[] {
    let rids: number[] | undefined;
    if (ids !== undefined) rids = this.#store.ridsForIds(cid, ids);
    if (filter !== undefined) {
      const matched = this.#store.selectRids(cid, filter);
      rids = rids === undefined ? matched : intersectSorted(rids, matched);
    }
    return rids ?? this.#store.selectRids(cid, undefined);
  }

  async fetchRows(rids: number[], columns: Columns, scope: OperationScope): Promise<RecordRow[]> {
    const out: RecordRow[] = [];
    const slice = columns.embeddings ? 1000 : 5000;
    for (let i = 0; i < rids.length; i += slice) {
      if (i > 0) {
        scope.check();
        await yieldToEventLoop();
      }
      out.push(...this.#store.reads.recordsByRid(rids.slice(i, i + slice), columns));
    }
    return out;
  }

  /**
   * Exact k-NN over `candidates` (or the whole collection), in native code over the vectors in memory
   * (the graph's and the pending ones). Yields first when the scan is large.
   */
  async #exactScan(
    state: CollectionState,
    queries: Float32Array[],
    k: number,
    candidates: readonly number[] | undefined,
    scope: OperationScope,
  ): Promise<Scored[][]> {
    const rids = candidates ?? this.#store.selectRids(state.cid, undefined);
    if (rids.length * queries.length > EXACT_SCAN_YIELD_ROWS) {
      scope.check();
      await yieldToEventLoop();
    }
    return state.exactSearch(queries, k, rids);
  }

  async search(state: CollectionState, plan: SearchPlan, columns: Columns, scope: OperationScope): Promise<RankedRecord[]> {
    // Found on first need: a dense Knn under a broad document condition may never need it.
    let allowedSet: RidSet | undefined | null = null;
    const allowed = (): RidSet | undefined => (allowedSet === null ? (allowedSet = this.allowedFor(state, plan.ids, plan.filter)) : allowedSet);
    const end = plan.limit === undefined ? undefined : plan.offset + plan.limit;
    let page: { rid: number; score: number | null; knns?: KnnContribution[] }[];
    if (!plan.rank) {
      // No rank: the filtered records in insertion order, as `get`.
      const rids = allowed()?.rids ?? this.#store.selectRids(state.cid, undefined);
      page = rids.slice(plan.offset, end).map((rid) => ({ rid, score: null }));
    } else {
      const results: KnnResult[] = [];
      // With explain: per Knn, each listed record's place, distance or score, and BM25 term parts.
      const explained: Map<number, KnnContribution>[] = [];
      for (const [i, knn] of plan.knns.entries()) {
        let list: Scored[];
        if (knn.source === "dense") {
          if (typeof knn.query === "string") {
            throw new InvalidArgumentError(
              `searches: the text query of rank $knn #${i} on '#embedding' needs an embedding function: embed it on the client`,
            );
          }
          const query = Float32Array.from(knn.query);
          const dimension = state.row.dimension;
          if (dimension !== null && query.length !== dimension) {
            throw new InvalidArgumentError(`Collection expecting embedding with dimension of ${dimension}, got ${query.length}`);
          }
          list = (await this.nearest(state, [query], { nResults: knn.limit, ids: plan.ids, filter: plan.filter }, scope))[0]!;
        } else {
          const set = allowed();
          const has = set ? (rid: number) => set.has(rid) : undefined;
          list = this.#store.bm25(state.cid, knn.termIds, knn.limit, has).map((h) => ({ rid: h.rid, distance: h.score }));
        }
        results.push(new Map(list.map((s, rank) => [s.rid, knn.returnRank ? rank : s.distance])));
        if (plan.explain) {
          const key = knn.source === "bm25" ? DOCUMENT_KEY : EMBEDDING_KEY;
          const terms = knn.source === "bm25" ? bm25TermScores((t, l, a) => this.#store.bm25(state.cid, t, l, a), knn, list.map((s) => s.rid)) : undefined;
          explained.push(new Map(list.map((s, rank) => [s.rid, { knn: i, key, rank, score: s.distance, ...(terms ? { terms: terms.get(s.rid) ?? [] } : {}) }])));
        }
        scope.check();
      }
      const candidates = new Set<number>();
      for (const r of results) for (const rid of r.keys()) candidates.add(rid);
      const scored: { rid: number; score: number }[] = [];
      for (const rid of candidates) {
        const score = evaluateRank(plan.rank, rid, plan.knns, results);
        if (score !== undefined) scored.push({ rid, score });
      }
      // Ascending (lower is better, as in Chroma); NaN last; ties in insertion order.
      scored.sort((a, b) => (Number.isNaN(a.score) ? 1 : 0) - (Number.isNaN(b.score) ? 1 : 0) || a.score - b.score || a.rid - b.rid);
      page = scored.slice(plan.offset, end);
      if (plan.explain) page = page.map((p) => ({ ...p, knns: explained.flatMap((m) => m.get(p.rid) ?? []) }));
    }
    const rows = new Map((await this.fetchRows(page.map((p) => p.rid), columns, scope)).map((r) => [r.rid, r]));
    return page.flatMap((p) => {
      const row = rows.get(p.rid);
      return row ? [{ row, score: p.score, ...(p.knns ? { knns: p.knns } : {}) }] : [];
    });
  }

  /**
   * The usual plan: find the records the filter allows, then scan them exactly when few, else search
   * HNSW with them as its allow-list.
   */
  async #filterThenSearch(
    state: CollectionState,
    queries: Float32Array[],
    args: { nResults: number; ids?: string[]; filter?: FilterNode },
    scope: OperationScope,
    plans?: QueryPlan[],
  ): Promise<Scored[][]> {
    const dimension = state.row.dimension;
    const allowed = this.allowedFor(state, args.ids, args.filter);
    const total = state.searchableCount;
    const k = Math.min(args.nResults, allowed ? allowed.size : total);
    const allowedCount = allowed ? allowed.size : null;
    const record = (i: number, plan: QueryPlan["plan"], candidates: number, ef: number | null, reason: string) => {
      if (plans) plans[i] = { plan, searchable: total, allowed: allowedCount, candidates, ef, estimatedMatches: null, reason };
    };
    if (k <= 0 || dimension === null) {
      queries.forEach((_, i) => plans && (plans[i] = { ...emptyPlan(total, "no vectors to search, none allowed, or nResults 0"), allowed: allowedCount }));
      return queries.map(() => []);
    }
    if (total <= EXACT_SCAN_MAX_TOTAL || (allowed && allowed.size <= EXACT_SCAN_MAX_CANDIDATES)) {
      const why =
        total <= EXACT_SCAN_MAX_TOTAL
          ? `the collection has ${total} vectors (at most ${EXACT_SCAN_MAX_TOTAL}: exact is as fast)`
          : `the filter allows ${allowed!.size} records (at most ${EXACT_SCAN_MAX_CANDIDATES})`;
      queries.forEach((_, i) => record(i, "exact-scan", allowed ? allowed.size : total, null, why));
      return this.#exactScan(state, queries, k, allowed?.rids, scope);
    }
    const ef = effectiveEf(state.row.configuration.hnsw.ef_search, k);
    queries.forEach((_, i) =>
      record(i, "hnsw", allowed ? allowed.size : total, ef, allowed ? `the filter allows ${allowed.size} records: HNSW with them as its allow-list` : "no filter: HNSW"),
    );
    const scored: Scored[][] = [];
    const fallback: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const hits = state.annSearch(queries[i]!, k, allowed);
      // HNSW can return fewer than k under a tight filter or many deletions: then scan exactly.
      if (hits.length < k) fallback.push(i);
      scored.push(hits);
    }
    if (fallback.length > 0) {
      for (const i of fallback) {
        record(i, "hnsw-then-exact", allowed ? allowed.size : total, ef, `HNSW found fewer than ${k} under the filter: the allowed records were scanned exactly`);
      }
      const exact = await this.#exactScan(state, fallback.map((i) => queries[i]!), k, allowed?.rids, scope);
      fallback.forEach((qi, j) => (scored[qi] = exact[j]!));
    }
    return scored;
  }

  /**
   * The plan for a broad document condition (a `$contains` or `$regex` matching many records): when a
   * few percent of the records match, the nearest k matches are among the few hundred nearest records,
   * and checking those few documents costs far less than finding and verifying every match first (a
   * pattern of common words has tens of thousands of candidates). Both costs come from `estimate` (a
   * sample of the documents). Undefined when the plan does not apply or found fewer than k matches:
   * then the caller takes another plan.
   */
  #searchThenFilter(
    state: CollectionState,
    query: Float32Array,
    nResults: number,
    filter: FilterNode & { kind: "doc" },
    estimate: { matches: number; verified: number },
    plans?: QueryPlan[],
    index = 0,
  ): Scored[] | undefined {
    const total = state.searchableCount;
    if (total <= EXACT_SCAN_MAX_TOTAL || nResults <= 0 || query.length !== state.row.dimension) return undefined;
    const k = Math.min(nResults, total);
    // Read about twice the records expected to hold k matches (the cap when the sample saw none: a
    // share under one in a few hundred is only a guess), if that costs less than filtering first.
    const expected = estimate.matches > 0 ? Math.ceil(((k * total) / estimate.matches) * 2) : Infinity;
    const read = Math.min(expected, SEARCH_FIRST_MAX_READ, total);
    if (read * SEARCH_FIRST_READ_COST >= estimate.verified) return undefined;
    // Estimates from a sample can be low: read four times more (up to the cap) before giving up.
    const checked = new Map<number, boolean>();
    for (let size = read; ; size = Math.min(size * 4, SEARCH_FIRST_MAX_READ, total)) {
      const nearest = state.annSearch(query, size, undefined);
      const unchecked = nearest.filter((s) => !checked.has(s.rid)).map((s) => s.rid);
      const matched = this.#store.checkDocumentCondition(state.cid, filter, unchecked);
      for (const rid of unchecked) checked.set(rid, matched.has(rid));
      const hits = nearest.filter((s) => checked.get(s.rid)).slice(0, k);
      if (hits.length === k) {
        if (plans) {
          plans[index] = {
            plan: "search-first",
            searchable: total,
            allowed: null,
            candidates: checked.size,
            ef: effectiveEf(state.row.configuration.hnsw.ef_search, size),
            estimatedMatches: estimate.matches,
            reason: `the document condition is broad (about ${estimate.matches} records match, estimated from a sample): reading ${size} nearest and checking their documents costs less than finding every match`,
          };
        }
        return hits;
      }
      if (size >= SEARCH_FIRST_MAX_READ || size >= total) return undefined;
    }
  }
}
