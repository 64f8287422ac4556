/**
 * Full-text indexes of documents, two SQLite FTS5 tables per collection:
 *
 * - `fts_sub_<cid>`: a case-sensitive trigram index. It makes `$contains` fast without changing what it
 *   means: a pattern of 3+ characters is first looked up as a few of its trigrams (the records holding
 *   them are a superset of those containing it), and each candidate is then verified with the same
 *   exact `instr()` test the scan uses, so results are identical with or without the index. Which
 *   trigrams are worth reading is estimated from a small sample of the collection's documents. A
 *   pattern with two or more whole words is looked up as a phrase in the BM25 index instead (a much
 *   tighter superset, see phraseTerms), verified the same way.
 * - `fts_bm25_<cid>`: the document's BM25 term ids (Chroma's `chroma_bm25` tokenisation, see
 *   text/bm25.ts), ranked by FTS5's built-in `bm25()`.
 *
 * Both are contentless (`content=''`, `contentless_delete=1`): the text lives once, in `records`. Rowids
 * are the records' rids.
 *
 * Writes do not index text themselves: they add the record to `fts_queue` in their own transaction,
 * and the engine drains the queue in the background in short transactions. Updating FTS5 tables is
 * most of the cost of writing documents (and its commits can take tens of milliseconds per thousand
 * documents), so this keeps every write short. `$contains` stays exact meanwhile: queued records are
 * candidates too (every candidate is verified with instr()); BM25 search drains its collection first.
 * Folders written before the indexes existed are backfilled in slices; until a collection's backfill
 * is done its `$contains` keeps scanning and BM25 waits for the backfill.
 */
import type Database from "better-sqlite3";
import { bm25IndexText, bm25TermIds } from "../text/bm25.js";

const BACKFILL_KEY = "fts_backfill:";
/** Pages of segment merging per drained transaction: keeps segment counts bounded, each commit short. */
const MERGE_PAGES = 32;

/** A `$contains` pattern the trigram index can answer: 3+ characters and nothing FTS5 might treat specially. */
export function trigramUsable(pattern: string): boolean {
  // Under 3 characters there is no trigram to look up. NUL and lone surrogates are left to the scan:
  // SQLite's text conversion of them is not something to rely on for an exact answer.
  if ([...pattern].length < 3) return false;
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
  if (/\u0000/.test(pattern)) return false;
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(pattern);
}

/** An FTS5 phrase matching `text` literally: double quotes inside are doubled, nothing else is syntax. */
export function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * The BM25 term ids of the part of `pattern` between its first and last separator (a character that
 * is not a letter, digit or `_`), when there are two or more. Any document containing the pattern has
 * these terms consecutively in its BM25 index (tokens are split at separators and each is normalised on
 * its own, stopwords are left out on both sides), so an FTS5 phrase of them is a tight superset of the
 * records containing it: much tighter than trigrams for a pattern of whole words. Patterns with a
 * capital sigma are left to the trigrams (its lower case depends on the letters around it).
 */
export function phraseTerms(pattern: string): { terms: number[]; inner: string } | undefined {
  if (pattern.includes("\u03a3")) return undefined;
  const separator = /[^\p{L}\p{N}_]/u;
  const chars = [...pattern];
  const first = chars.findIndex((c) => separator.test(c));
  let last = chars.length - 1;
  while (last >= 0 && !separator.test(chars[last]!)) last--;
  if (first < 0 || last <= first) return undefined;
  const inner = chars.slice(first, last + 1).join("");
  const terms = bm25TermIds(inner);
  return terms.length >= 2 ? { terms, inner } : undefined;
}

/** At most this many of a pattern's trigrams are looked up. */
const MAX_TRIGRAMS = 4;
/**
 * Relative costs, measured at 100k records: reading one posting of a trigram (~0.25 µs) against
 * fetching and verifying one candidate record with instr() (~3.7 µs).
 */
const POSTING_COST = 0.25;
const VERIFY_COST = 3.7;
/** Records sampled per collection to estimate how common a trigram or a whole pattern is. */
const SAMPLE_RECORDS = 300;

/**
 * A random sample of a collection's documents, for estimates only (which trigrams to look up, how many
 * records a pattern matches): answers never depend on it. Taken again after enough writes.
 */
interface TextSample {
  /** The sampled records' documents (null for records without one). */
  documents: (string | null)[];
  /** Trigram → how many sampled documents hold it. */
  trigramCounts: Map<string, number>;
  /** Records in the collection when sampled. */
  total: number;
  /** Records written since. */
  writes: number;
  /** Pattern → its chosen trigrams (a query plans the same pattern several times). */
  trigramPlans: Map<string, { grams: string[]; share: number }>;
}

/** The trigrams of a pattern with their code-point positions, as FTS5's tokenizer makes them. */
function trigramsAt(pattern: string): { gram: string; at: number }[] {
  const chars = [...pattern];
  const out: { gram: string; at: number }[] = [];
  for (let i = 0; i + 3 <= chars.length; i++) out.push({ gram: chars.slice(i, i + 3).join(""), at: i });
  return out;
}

export const subTable = (cid: number): string => `fts_sub_${cid}`;
export const bm25Table = (cid: number): string => `fts_bm25_${cid}`;

/** Memory for cached BM25 postings, all collections together. */
const POSTINGS_CACHE_BYTES = 64 << 20;

/** A term's postings in rowid order with each record's single-term `bm25()` score. */
interface Postings {
  rids: Float64Array;
  scores: Float64Array;
}

/** One scored BM25 hit: FTS5's `bm25()` value, negative, lower is better. */
export interface Bm25Hit {
  rid: number;
  score: number;
}

export class FullTextIndex {
  readonly #db: Database.Database;
  readonly #stmt: (sql: string) => Database.Statement;
  /** Collections drained since the last merge. */
  readonly #touched = new Set<number>();
  /** Collections whose backfill is not finished: cid → last rid indexed. */
  readonly #pending = new Map<number, number>();
  /** Collection → its current text sample (taken on first use). */
  readonly #samples = new Map<number, TextSample>();
  /** "cid:term" → scored postings, least recently used first. */
  readonly #postingCache = new Map<string, Postings>();
  #postingCacheBytes = 0;
  /** BM25 index texts of large queued documents, tokenized ahead by the engine: rid → document and terms. */
  readonly #prepared = new Map<number, { document: string; terms: string }>();
  /** Collections whose BM25 index changed since their postings were cached (forgotten on next use). */
  readonly #changed = new Set<number>();

  constructor(db: Database.Database, stmt: (sql: string) => Database.Statement) {
    this.#db = db;
    this.#stmt = stmt;
    for (const row of db.prepare(`SELECT key, value FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).all() as {
      key: string;
      value: string;
    }[]) {
      this.#pending.set(Number(row.key.slice(BACKFILL_KEY.length)), Number(row.value));
    }
  }

  /** Creates a collection's tables (call inside the transaction that creates the collection). */
  create(cid: number): void {
    this.#db.exec(
      // detail=none keeps only which records hold each trigram (no positions): about 2x smaller, and
      // enough for a candidate set that instr() then verifies.
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${subTable(cid)} USING fts5(document, tokenize='trigram case_sensitive 1', content='', contentless_delete=1, detail=none);` +
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${bm25Table(cid)} USING fts5(terms, tokenize='ascii', content='', contentless_delete=1);`,
    );
    // FTS5's automatic merges run inside COMMIT and made some commits take 20+ ms; drainSlice merges a
    // bounded amount itself instead (same policy: levels with 4+ segments).
    for (const t of [subTable(cid), bm25Table(cid)]) this.#db.prepare(`INSERT INTO ${t}(${t}, rank) VALUES('automerge', 0)`).run();
  }

  /** Drops a collection's tables and any backfill state. */
  drop(cid: number): void {
    this.#db.exec(`DROP TABLE IF EXISTS ${subTable(cid)}; DROP TABLE IF EXISTS ${bm25Table(cid)};`);
    this.#stmt("DELETE FROM store_info WHERE key = ?").run(BACKFILL_KEY + cid);
    this.#stmt("DELETE FROM fts_queue WHERE cid = ?").run(cid);
    this.#pending.delete(cid);
    this.#samples.delete(cid);
    this.#forgetPostings(cid);
  }

  /** Drops every collection's tables (reset). */
  dropAll(): void {
    const names = this.#db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'fts_sub_[0-9]*' OR name GLOB 'fts_bm25_[0-9]*') AND name NOT GLOB '*_*_*_*'")
      .pluck()
      .all() as string[];
    for (const name of names) this.#db.exec(`DROP TABLE IF EXISTS ${name}`);
    this.#stmt(`DELETE FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).run();
    this.#stmt("DELETE FROM fts_queue").run();
    this.#pending.clear();
    this.#samples.clear();
    this.#forgetPostings();
  }

  /**
   * Migration from a folder without the indexes: creates the tables of every collection and marks
   * each for backfill from rid 0. Runs inside the migration transaction.
   */
  markAllForBackfill(cids: number[]): void {
    for (const cid of cids) {
      this.create(cid);
      this.#stmt("INSERT OR REPLACE INTO store_info (key, value) VALUES (?, '0')").run(BACKFILL_KEY + cid);
      this.#pending.set(cid, 0);
    }
  }

  /** True when every record of the collection is in its indexes. */
  ready(cid: number): boolean {
    return !this.#pending.has(cid);
  }

  get pendingCollections(): number[] {
    return [...this.#pending.keys()];
  }

  /** A new record: queue its document for indexing. */
  insert(cid: number, rid: number, document: string | null | undefined): void {
    if (document === null || document === undefined) return;
    this.#queue(cid, rid);
  }

  /** A deleted record: queue the removal of its index entries. */
  remove(cid: number, rid: number): void {
    this.#queue(cid, rid);
  }

  /** A record whose document changed: queue its re-indexing. */
  replace(cid: number, rid: number, _document: string | null): void {
    this.#queue(cid, rid);
  }

  #queue(cid: number, rid: number): void {
    const sample = this.#samples.get(cid);
    if (sample) sample.writes++;
    this.#stmt("INSERT OR IGNORE INTO fts_queue (cid, rid) VALUES (?, ?)").run(cid, rid);
  }

  #indexNow(cid: number, rid: number, document: string | null | undefined): void {
    if (document === null || document === undefined) return;
    this.#changed.add(cid);
    this.#stmt(`INSERT INTO ${subTable(cid)} (rowid, document) VALUES (?, ?)`).run(rid, document);
    const prepared = this.#prepared.get(rid);
    this.#prepared.delete(rid);
    const terms = prepared !== undefined && prepared.document === document ? prepared.terms : bm25IndexText(document);
    this.#stmt(`INSERT INTO ${bm25Table(cid)} (rowid, terms) VALUES (?, ?)`).run(rid, terms);
  }

  /**
   * A document of at least `minLength` characters among the next queued records (as many as a drain
   * slice might index) that has not been prepared: the engine tokenizes such a document ahead, in
   * slices (see prepare), rather than inside one indexing transaction.
   */
  nextLargeQueued(minLength: number): { rid: number; document: string } | undefined {
    const rows = this.#stmt(
      "SELECT r.rid AS rid, r.document AS document FROM (SELECT cid, rid FROM fts_queue ORDER BY cid, rid LIMIT 64) AS q " +
        "CROSS JOIN records AS r ON r.rid = q.rid AND r.cid = q.cid WHERE length(r.document) >= ?",
    ).all(minLength) as { rid: number; document: string }[];
    return rows.find((row) => !this.#prepared.has(row.rid));
  }

  /** BM25 index text computed ahead for a queued record; used if its document is still `document`. */
  prepare(rid: number, document: string, terms: string): void {
    // Only the next few queued records are prepared; anything older was indexed or dropped meanwhile.
    if (this.#prepared.size >= 64) this.#prepared.clear();
    this.#prepared.set(rid, { document, terms });
  }

  #unindexNow(cid: number, rid: number): void {
    this.#changed.add(cid);
    this.#stmt(`DELETE FROM ${subTable(cid)} WHERE rowid = ?`).run(rid);
    this.#stmt(`DELETE FROM ${bm25Table(cid)} WHERE rowid = ?`).run(rid);
  }

  /** True when some record waits in the queue (of `cid`, or of any collection). */
  hasQueued(cid?: number): boolean {
    return cid === undefined
      ? this.#stmt("SELECT 1 FROM fts_queue LIMIT 1").get() !== undefined
      : this.#stmt("SELECT 1 FROM fts_queue WHERE cid = ? LIMIT 1").get(cid) !== undefined;
  }

  /** How many records of a collection wait for text indexing. */
  queuedCount(cid: number): number {
    return this.#stmt("SELECT count(*) FROM fts_queue WHERE cid = ?").pluck().get(cid) as number;
  }

  /**
   * Brings up to `limit` queued records' index entries up to date with their current document (or
   * removes them if the record is gone); call inside a write transaction. Returns how many it did.
   */
  drainSlice(limit: number): number {
    const rows = this.#stmt("SELECT cid, rid FROM fts_queue ORDER BY cid, rid LIMIT ?").all(limit) as { cid: number; rid: number }[];
    for (const { cid, rid } of rows) {
      const current = this.#stmt("SELECT document FROM records WHERE rid = ? AND cid = ?").pluck().get(rid, cid) as
        | string
        | null
        | undefined;
      this.#unindexNow(cid, rid);
      this.#indexNow(cid, rid, current);
      this.#stmt("DELETE FROM fts_queue WHERE cid = ? AND rid = ?").run(cid, rid);
    }
    for (const { cid } of rows) this.#touched.add(cid);
    return rows.length;
  }

  /** Does a bounded amount of segment merging in the collections drained since the last call. */
  mergeTouched(): void {
    for (const cid of this.#touched) this.#mergeSome(cid);
    this.#touched.clear();
  }

  #mergeSome(cid: number): void {
    for (const t of [subTable(cid), bm25Table(cid)]) this.#stmt(`INSERT INTO ${t}(${t}, rank) VALUES('merge', ${MERGE_PAGES})`).run();
  }

  /**
   * Indexes the next `limit` records of a collection being backfilled; call inside a write
   * transaction. Returns false once the collection is complete.
   */
  backfillSlice(cid: number, limit: number): boolean {
    const after = this.#pending.get(cid);
    if (after === undefined) return false;
    const rows = this.#stmt("SELECT rid, document FROM records WHERE cid = ? AND rid > ? ORDER BY rid LIMIT ?").all(
      cid,
      after,
      limit,
    ) as { rid: number; document: string | null }[];
    // Writes since the migration may be indexed already: unindex first keeps each rid indexed once.
    for (const row of rows) {
      this.#unindexNow(cid, row.rid);
      this.#indexNow(cid, row.rid, row.document);
    }
    this.#mergeSome(cid);
    if (rows.length < limit) {
      this.#stmt("DELETE FROM store_info WHERE key = ?").run(BACKFILL_KEY + cid);
      this.#pending.delete(cid);
      return false;
    }
    const last = rows[rows.length - 1]!.rid;
    this.#stmt("UPDATE store_info SET value = ? WHERE key = ?").run(String(last), BACKFILL_KEY + cid);
    this.#pending.set(cid, last);
    return true;
  }

  /** Undoes in-memory backfill progress after a rolled-back slice. */
  reloadPending(): void {
    this.#pending.clear();
    for (const row of this.#db.prepare(`SELECT key, value FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).all() as {
      key: string;
      value: string;
    }[]) {
      this.#pending.set(Number(row.key.slice(BACKFILL_KEY.length)), Number(row.value));
    }
  }

  /** SQL yielding the rids whose document contains `pattern` (index candidates, verified by instr). */
  containsSql(cid: number, pattern: string): { sql: string; params: unknown[] } | undefined {
    const candidates = this.#candidatesSql(cid, pattern);
    if (!candidates) return undefined;
    return {
      sql: `SELECT r.rid FROM records r WHERE r.rid IN (${candidates.sql}) AND r.cid = ? AND instr(r.document, ?) > 0`,
      params: [...candidates.params, cid, pattern],
    };
  }

  /**
   * The records that may contain `pattern`, unverified (a superset: index candidates and queued
   * records, some perhaps deleted since), or undefined when the index cannot answer it.
   */
  containsCandidates(cid: number, pattern: string): number[] | undefined {
    const candidates = this.#candidatesSql(cid, pattern);
    if (!candidates) return undefined;
    return this.#stmt(`SELECT DISTINCT rid FROM (${candidates.sql})`).pluck().all(...candidates.params) as number[];
  }

  /**
   * SQL yielding a superset of the rids containing `pattern`: the records holding the phrase of its
   * whole words in the BM25 index (see phraseTerms) or else a few selective trigrams, plus the records
   * still in the queue, which may be missing from (or stale in) the indexes.
   */
  #candidatesSql(cid: number, pattern: string): { sql: string; params: unknown[] } | undefined {
    if (!this.ready(cid) || !trigramUsable(pattern)) return undefined;
    const phrase = phraseTerms(pattern);
    const [table, match] =
      phrase !== undefined
        ? [bm25Table(cid), `"${phrase.terms.join(" ")}"`]
        : [subTable(cid), this.#selectiveTrigrams(cid, pattern).grams.map(ftsPhrase).join(" AND ")];
    return {
      sql: `SELECT rowid AS rid FROM ${table} WHERE ${table} MATCH ? UNION ALL SELECT rid FROM fts_queue WHERE cid = ?`,
      params: [match, cid],
    };
  }

  /**
   * The few trigrams of a pattern worth looking up. Records holding all of a pattern's trigrams are a
   * superset of those containing it; a few rare ones make nearly as tight a superset at a fraction of
   * the cost (a common trigram like "the" has a posting list as long as the collection, and reading it
   * can cost more than it filters). Rarity and the filtering a trigram adds both come from the sample.
   */
  #selectiveTrigrams(cid: number, pattern: string): { grams: string[]; share: number } {
    const sample = this.#sample(cid);
    const planned = sample.trigramPlans.get(pattern);
    if (planned) return planned;
    const size = Math.max(1, sample.documents.length);
    const ranked = trigramsAt(pattern)
      .map((t) => ({ ...t, share: (sample.trigramCounts.get(t.gram) ?? 0) / size }))
      .sort((a, b) => a.share - b.share);
    const chosen: typeof ranked = [];
    // The sampled documents holding every trigram chosen so far: the candidates' share, measured
    // jointly (trigrams of one word come together, so multiplying their shares would be far off).
    let holding = sample.documents.filter((d): d is string => d !== null);
    // Greedy on a simple cost model: a further trigram is worth reading when the candidates it removes
    // cost more to verify than its postings cost to read.
    for (const t of ranked) {
      if (chosen.length >= MAX_TRIGRAMS) break;
      if (chosen.some((c) => c.gram === t.gram)) continue;
      const next = holding.filter((d) => d.includes(t.gram));
      if (chosen.length > 0 && POSTING_COST * t.share >= (VERIFY_COST * (holding.length - next.length)) / size) continue;
      chosen.push(t);
      holding = next;
    }
    const plan = { grams: chosen.map((t) => t.gram), share: holding.length / size };
    if (sample.trigramPlans.size >= 1024) sample.trigramPlans.clear();
    sample.trigramPlans.set(pattern, plan);
    return plan;
  }

  /**
   * About how many candidates `containsSql` would verify for `pattern` (the whole collection when the
   * index cannot answer it), from the sample.
   */
  estimateContainsCandidates(cid: number, pattern: string): number {
    const sample = this.#sample(cid);
    if (!this.ready(cid) || !trigramUsable(pattern)) return sample.total;
    const phrase = phraseTerms(pattern);
    if (phrase !== undefined) {
      // About the records holding the pattern's whole words in a row: the sample's matches of that part.
      return Math.max(1, this.estimateMatches(cid, (d) => d.includes(phrase.inner)));
    }
    return sample.total * this.#selectiveTrigrams(cid, pattern).share;
  }

  /**
   * About how many records of a collection have a document passing `test`, from the sample (the engine
   * uses it to choose between filtering first and searching first).
   */
  estimateMatches(cid: number, test: (document: string) => boolean): number {
    const sample = this.#sample(cid);
    if (sample.documents.length === 0) return 0;
    let hits = 0;
    for (const d of sample.documents) if (d !== null && test(d)) hits++;
    return (hits / sample.documents.length) * sample.total;
  }

  /** The collection's record count when its sample was taken (a count without a query per call). */
  sampledTotal(cid: number): number {
    return this.#sample(cid).total;
  }

  #sample(cid: number): TextSample {
    const current = this.#samples.get(cid);
    if (current && current.writes <= Math.max(1000, current.total / 4)) return current;
    const total = this.#stmt("SELECT count(*) FROM records WHERE cid = ?").pluck().get(cid) as number;
    const range = this.#stmt("SELECT min(rid) AS lo, max(rid) AS hi FROM records WHERE cid = ?").get(cid) as {
      lo: number | null;
      hi: number | null;
    };
    const documents: (string | null)[] = [];
    if (range.lo !== null && range.hi !== null) {
      const at = this.#stmt("SELECT rid, document FROM records WHERE cid = ? AND rid >= ? ORDER BY rid LIMIT 1");
      const seen = new Set<number>();
      // Random rids in the collection's range; a deterministic generator keeps plans reproducible.
      let state = 0x9e3779b9 ^ cid;
      for (let i = 0; i < Math.min(SAMPLE_RECORDS, total) * 2 && documents.length < SAMPLE_RECORDS; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        const rid = range.lo + Math.floor((state / 2 ** 32) * (range.hi - range.lo + 1));
        const row = at.get(cid, rid) as { rid: number; document: string | null } | undefined;
        if (!row || seen.has(row.rid)) continue;
        seen.add(row.rid);
        documents.push(row.document);
      }
    }
    const trigramCounts = new Map<string, number>();
    const inDocument = new Set<string>();
    for (const d of documents) {
      if (d === null) continue;
      inDocument.clear();
      for (let i = 0; i + 3 <= d.length; i++) inDocument.add(d.slice(i, i + 3));
      for (const g of inDocument) trigramCounts.set(g, (trigramCounts.get(g) ?? 0) + 1);
    }
    const sample = { documents, trigramCounts, total, writes: 0, trigramPlans: new Map() };
    this.#samples.set(cid, sample);
    return sample;
  }

  /**
   * The best `limit` records for BM25 term ids `termIds` (any of them), best first (ties in rowid
   * order); `allowed` keeps only the records it accepts. Scores are FTS5's `bm25()`, exactly: a record's
   * score for several terms is the sum of its single-term scores in query order, which is how FTS5
   * adds them up. Ranking a multi-term query in FTS5 costs about 1 µs for every record holding any of
   * the terms; here each term's scored postings are read once and kept (see #postings), and the lists
   * are merged by rowid, so a query on common words costs a merge, not a ranking.
   */
  bm25(cid: number, termIds: number[], limit: number, allowed?: (rid: number) => boolean): Bm25Hit[] {
    const unique = [...new Set(termIds)];
    if (unique.length === 0 || limit <= 0) return [];
    if (this.#changed.delete(cid)) this.#forgetPostings(cid);
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

  /**
   * A term's postings with their single-term `bm25()` scores, in rowid order. Kept in memory (least
   * recently used first out, within POSTINGS_CACHE_BYTES) until the collection's index changes, since
   * a new or removed document changes every score of the collection (IDF, average length).
   */
  #postings(cid: number, term: number): Postings {
    const key = `${cid}:${term}`;
    const cached = this.#postingCache.get(key);
    if (cached) {
      this.#postingCache.delete(key);
      this.#postingCache.set(key, cached);
      return cached;
    }
    const table = bm25Table(cid);
    const rows = this.#stmt(`SELECT rowid, rank FROM ${table} WHERE ${table} MATCH ? ORDER BY rowid`)
      .raw()
      .all(`"${term}"`) as [number, number][];
    const postings: Postings = { rids: new Float64Array(rows.length), scores: new Float64Array(rows.length) };
    for (let i = 0; i < rows.length; i++) {
      postings.rids[i] = rows[i]![0];
      postings.scores[i] = rows[i]![1];
    }
    const bytes = rows.length * 16 + 64;
    if (bytes <= POSTINGS_CACHE_BYTES) {
      this.#postingCache.set(key, postings);
      this.#postingCacheBytes += bytes;
      for (const [k, v] of this.#postingCache) {
        if (this.#postingCacheBytes <= POSTINGS_CACHE_BYTES) break;
        this.#postingCache.delete(k);
        this.#postingCacheBytes -= v.rids.length * 16 + 64;
      }
    }
    return postings;
  }

  /** Forgets the cached postings of a collection (its BM25 index changed), or of all collections. */
  #forgetPostings(cid?: number): void {
    if (this.#postingCache.size === 0) return;
    const prefix = `${cid}:`;
    for (const [k, v] of this.#postingCache) {
      if (cid !== undefined && !k.startsWith(prefix)) continue;
      this.#postingCache.delete(k);
      this.#postingCacheBytes -= v.rids.length * 16 + 64;
    }
  }
}
