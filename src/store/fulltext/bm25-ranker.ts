/**
 * BM25 ranking over a collection's word index (`fts_bm25_<cid>`, see tables.ts), with FTS5's own
 * `bm25()` scores. Each term's scored postings are read once and kept in memory (least recently used
 * first out, within POSTINGS_CACHE_BYTES for all collections together), so that a query on common
 * words merges short lists instead of ranking every record holding them again.
 */
import { LRUCache } from "lru-cache";
import { bm25Table, type Prepare } from "./tables.js";

/** Memory for cached BM25 postings, all collections together. */
const POSTINGS_CACHE_BYTES = 64 << 20;

/** A term's postings in rowid order with each record's single-term `bm25()` score. */
interface Postings {
  rids: Float64Array;
  scores: Float64Array;
}

const postingsBytes = (p: Postings): number => p.rids.length * 16 + 64;

/** One scored BM25 hit: FTS5's `bm25()` value, negative, lower is better. */
export interface Bm25Hit {
  rid: number;
  score: number;
}

export class Bm25Ranker {
  readonly #stmt: Prepare;
  /** "cid:term" → scored postings, least recently used first. */
  readonly #cache = new LRUCache<string, Postings>({
    maxSize: POSTINGS_CACHE_BYTES,
    sizeCalculation: postingsBytes,
  });
  /** Collections whose BM25 index changed since their postings were cached (forgotten on next use). */
  readonly #changed = new Set<number>();

  constructor(stmt: Prepare) {
    this.#stmt = stmt;
  }

  /** The collection's index changed: its cached postings are stale (every score of it changes: IDF, average length). */
  changed(cid: number): void {
    this.#changed.add(cid);
  }

  /** Forgets the cached postings of a collection (dropped), or of all collections. */
  forget(cid?: number): void {
    if (cid === undefined) return this.#cache.clear();
    const prefix = `${cid}:`;
    for (const k of [...this.#cache.keys()]) if (k.startsWith(prefix)) this.#cache.delete(k);
  }

  /**
   * The best `limit` records for BM25 term ids `termIds` (any of them), best first (ties in rowid
   * order); `allowed` keeps only the records it accepts. Scores are FTS5's `bm25()`, exactly: a record's
   * score for several terms is the sum of its single-term scores in query order, which is how FTS5
   * adds them up. Ranking a multi-term query in FTS5 costs about 1 µs for every record holding any of
   * the terms; here each term's scored postings are read once and kept (see #postings), and the lists
   * are merged by rowid, so a query on common words costs a merge, not a ranking.
   */
  rank(cid: number, termIds: number[], limit: number, allowed?: (rid: number) => boolean): Bm25Hit[] {
    const unique = [...new Set(termIds)];
    if (unique.length === 0 || limit <= 0) return [];
    if (this.#changed.delete(cid)) this.forget(cid);
    const lists = unique.map((t) => this.#postings(cid, t));
    const at = lists.map(() => 0);
    const best: Bm25Hit[] = [];
    for (;;) {
      let rid = Infinity;
      for (let i = 0; i < lists.length; i++) {
        const list = lists[i]!;
        if (at[i]! < list.rids.length && list.rids[at[i]!]! < rid) rid = list.rids[at[i]!]!;
      }
      if (rid === Infinity) break;
      let score = 0;
      for (let i = 0; i < lists.length; i++) {
        const list = lists[i]!;
        if (list.rids[at[i]!] === rid) score += list.scores[at[i]!++]!;
      }
      // Lower is better; a tie keeps the earlier record first.
      if (best.length === limit && score >= best[limit - 1]!.score) continue;
      if (allowed && !allowed(rid)) continue;
      // Insert after any equal score; when full, the last one drops out.
      let j = best.length === limit ? limit - 1 : best.length;
      while (j > 0 && best[j - 1]!.score > score) {
        best[j] = best[j - 1]!;
        j--;
      }
      best[j] = { rid, score };
    }
    return best;
  }

  /** A term's postings with their single-term `bm25()` scores, in rowid order, from the cache or the index. */
  #postings(cid: number, term: number): Postings {
    const key = `${cid}:${term}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const table = bm25Table(cid);
    const rows = this.#stmt(`SELECT rowid, rank FROM ${table} WHERE ${table} MATCH ? ORDER BY rowid`)
      .raw()
      .all(`"${term}"`) as [number, number][];
    const postings: Postings = { rids: new Float64Array(rows.length), scores: new Float64Array(rows.length) };
    for (let i = 0; i < rows.length; i++) {
      postings.rids[i] = rows[i]![0];
      postings.scores[i] = rows[i]![1];
    }
    this.#cache.set(key, postings);
    return postings;
  }
}
