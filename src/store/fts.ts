/**
 * Full-text indexes of documents, two SQLite FTS5 tables per collection:
 *
 * - `fts_sub_<cid>`: a case-sensitive trigram index. It makes `$contains` fast without changing what it
 *   means: a pattern of 3+ characters is first looked up as a trigram phrase (a superset of the records
 *   that contain it), and each candidate is then verified with the same exact `instr()` test the scan
 *   uses, so results are identical with or without the index.
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
 * candidates too (every candidate is verified with instr()); BM25 search drains its collection first. Folders written before the indexes existed are backfilled in slices; until a
 * collection's backfill is done its `$contains` keeps scanning and BM25 waits for the backfill.
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

/**
 * Term ids that every document containing `pattern` must have in its BM25 index: the words of the
 * pattern that are complete there (a run of letters, digits and `_` with a separator on both sides
 * inside the pattern) tokenise exactly as they do in any document containing the pattern. Looking up
 * a few whole words is much cheaper than a phrase of many common trigrams. Words with a capital sigma
 * are left out: its lower case depends on the letters around it.
 */
export function requiredTerms(pattern: string): number[] {
  const terms = new Set<number>();
  for (const m of pattern.matchAll(/[\p{L}\p{N}_]+/gu)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start === 0 || end === pattern.length || m[0].includes("\u03a3")) continue;
    const ids = bm25TermIds(m[0]);
    if (ids.length === 1) terms.add(ids[0]!);
  }
  return [...terms];
}

/** An FTS5 phrase matching `text` literally: double quotes inside are doubled, nothing else is syntax. */
export function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * The distinct trigrams of a pattern, of code points as FTS5's tokenizer makes them. The trigram index
 * has no positions (detail=none), so a pattern is looked up as "all of (some of) its trigrams": a
 * superset of the records containing it, each then verified with instr().
 */
export function trigramsOf(pattern: string): string[] {
  const chars = [...pattern];
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(""));
  return [...grams];
}

/** How many of a pattern's rarest trigrams are looked up: enough to keep the candidates few. */
const RAREST_TRIGRAMS = 3;

export const subTable = (cid: number): string => `fts_sub_${cid}`;
/** An fts5vocab view of the trigram index: how many records hold each trigram. */
export const vocabTable = (cid: number): string => `fts_subv_${cid}`;
export const bm25Table = (cid: number): string => `fts_bm25_${cid}`;

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

  constructor(db: Database.Database, stmt: (sql: string) => Database.Statement) {
    this.#db = db;
    this.#stmt = stmt;
    // Trigram indexes made before the vocabulary views existed get theirs (cheap: a view, no data).
    for (const name of db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'fts_sub_[0-9]*' AND name NOT GLOB '*_*_*_*'")
      .pluck()
      .all() as string[]) {
      const cid = Number(name.slice("fts_sub_".length));
      db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vocabTable(cid)} USING fts5vocab(${subTable(cid)}, 'row')`);
    }
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
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${bm25Table(cid)} USING fts5(terms, tokenize='ascii', content='', contentless_delete=1);` +
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${vocabTable(cid)} USING fts5vocab(${subTable(cid)}, 'row');`,
    );
    // FTS5's automatic merges run inside COMMIT and made some commits take 20+ ms; drainSlice merges a
    // bounded amount itself instead (same policy: levels with 4+ segments).
    for (const t of [subTable(cid), bm25Table(cid)]) this.#db.prepare(`INSERT INTO ${t}(${t}, rank) VALUES('automerge', 0)`).run();
  }

  /** Drops a collection's tables and any backfill state. */
  drop(cid: number): void {
    this.#db.exec(
      `DROP TABLE IF EXISTS ${vocabTable(cid)}; DROP TABLE IF EXISTS ${subTable(cid)}; DROP TABLE IF EXISTS ${bm25Table(cid)};`,
    );
    this.#stmt("DELETE FROM store_info WHERE key = ?").run(BACKFILL_KEY + cid);
    this.#stmt("DELETE FROM fts_queue WHERE cid = ?").run(cid);
    this.#pending.delete(cid);
  }

  /** Drops every collection's tables (reset). */
  dropAll(): void {
    const names = this.#db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'fts_subv_[0-9]*' OR name GLOB 'fts_sub_[0-9]*' OR name GLOB 'fts_bm25_[0-9]*') AND name NOT GLOB '*_*_*_*' ORDER BY name DESC")
      .pluck()
      .all() as string[];
    for (const name of names) this.#db.exec(`DROP TABLE IF EXISTS ${name}`);
    this.#stmt(`DELETE FROM store_info WHERE key LIKE '${BACKFILL_KEY}%'`).run();
    this.#stmt("DELETE FROM fts_queue").run();
    this.#pending.clear();
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
    this.#stmt("INSERT OR IGNORE INTO fts_queue (cid, rid) VALUES (?, ?)").run(cid, rid);
  }

  #indexNow(cid: number, rid: number, document: string | null | undefined): void {
    if (document === null || document === undefined) return;
    this.#stmt(`INSERT INTO ${subTable(cid)} (rowid, document) VALUES (?, ?)`).run(rid, document);
    this.#stmt(`INSERT INTO ${bm25Table(cid)} (rowid, terms) VALUES (?, ?)`).run(rid, bm25IndexText(document));
  }

  #unindexNow(cid: number, rid: number): void {
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
    const rows = this.#stmt("SELECT cid, rid FROM fts_queue LIMIT ?").all(limit) as { cid: number; rid: number }[];
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

  /** SQL yielding the rids whose document contains `pattern` (trigram candidates, verified by instr). */
  containsSql(cid: number, pattern: string): { sql: string; params: unknown[] } | undefined {
    if (!this.ready(cid) || !trigramUsable(pattern)) return undefined;
    const words = requiredTerms(pattern);
    const [table, match] =
      words.length > 0
        ? [bm25Table(cid), words.map((t) => `"${t}"`).join(" AND ")]
        : [subTable(cid), this.#rarestTrigrams(cid, pattern).map(ftsPhrase).join(" AND ")];
    // Records still in the queue may be missing from (or stale in) the index: they are candidates too.
    return {
      sql:
        `SELECT r.rid FROM records r WHERE r.rid IN ` +
        `(SELECT rowid FROM ${table} WHERE ${table} MATCH ? UNION ALL SELECT rid FROM fts_queue WHERE cid = ?) ` +
        `AND r.cid = ? AND instr(r.document, ?) > 0`,
      params: [match, cid, cid, pattern],
    };
  }

  /**
   * The pattern's rarest trigrams by how many records hold them. Records holding all of a pattern's
   * trigrams are a superset of those containing it; the rarest few make nearly as tight a superset at a
   * fraction of the cost (common trigrams like "the" have posting lists as long as the collection).
   */
  #rarestTrigrams(cid: number, pattern: string): string[] {
    const grams = trigramsOf(pattern);
    if (grams.length <= RAREST_TRIGRAMS) return grams;
    const count = this.#stmt(`SELECT doc FROM ${vocabTable(cid)} WHERE term = ?`).pluck();
    return grams
      .map((g) => ({ g, n: (count.get(g) as number | undefined) ?? 0 }))
      .sort((a, b) => a.n - b.n)
      .slice(0, RAREST_TRIGRAMS)
      .map((x) => x.g);
  }

  /**
   * The best `limit` records for BM25 term ids `termIds` (any of them), best first; `allowed` keeps
   * only the records it accepts. FTS5 ranks every matching record; the filter is applied while reading
   * them in rank order, so it stops as soon as `limit` are found.
   */
  bm25(cid: number, termIds: number[], limit: number, allowed?: (rid: number) => boolean): Bm25Hit[] {
    const unique = [...new Set(termIds)];
    if (unique.length === 0 || limit <= 0) return [];
    const match = unique.map((t) => `"${t}"`).join(" OR ");
    const table = bm25Table(cid);
    const stmt = this.#stmt(`SELECT rowid AS rid, rank AS score FROM ${table} WHERE ${table} MATCH ? ORDER BY rank`);
    const out: Bm25Hit[] = [];
    for (const hit of stmt.iterate(match) as IterableIterator<Bm25Hit>) {
      if (allowed && !allowed(hit.rid)) continue;
      out.push(hit);
      if (out.length >= limit) break;
    }
    return out;
  }
}
