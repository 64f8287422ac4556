/**
 * The `$contains` planner: what a document condition costs and how the trigram and word indexes
 * answer it. It makes `$contains` fast without changing what it means: a pattern of 3+ characters is
 * first looked up as a few of its trigrams (the records holding them are a superset of those
 * containing it), or, with two or more whole words, as a phrase in the BM25 index (a much tighter
 * superset, see phraseTerms); each candidate is then verified with the same exact `instr()` test the
 * scan uses, so results are identical with or without the indexes. Which trigrams are worth reading,
 * and how many records a condition matches, are estimated from a small sample of the collection's
 * documents, with the cost model below; the engine's reader chooses its plan from these estimates.
 */
import { InternalError } from "../../errors.js";
import { compileRegex, type FilterNode } from "../../model/filter.js";
import { bm25TermIds } from "../../text/bm25.js";
import type { CompiledFilter } from "../filter-sql.js";
import type { TextQueue } from "./queue.js";
import { bm25Table, subTable, type Prepare } from "./tables.js";

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
/** Characters of each sampled document whose trigrams are counted. */
const SAMPLE_CHARS = 2048;
/** Chosen trigrams remembered per sample (a query plans the same pattern several times). */
const PLANS_PER_SAMPLE = 1024;

/** A `$contains` pattern the trigram index can answer: 3+ characters and nothing FTS5 might treat specially. */
export function trigramUsable(pattern: string): boolean {
  // Under 3 characters there is no trigram to look up. NUL and lone surrogates are left to the scan:
  // SQLite's text conversion of them is not something to rely on for an exact answer.
  if (pattern.length < 6 && [...pattern].length < 3) return false;
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
  if (/\u0000/.test(pattern)) return false;
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(pattern);
}

/** An FTS5 phrase matching `text` literally: double quotes inside are doubled, nothing else is syntax. */
function ftsPhrase(text: string): string {
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
function phraseTerms(pattern: string): { terms: number[]; inner: string } | undefined {
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

/** Trigrams of a pattern weighed when planning: any subset of them is a valid (looser) superset. */
const MAX_PLANNED_TRIGRAMS = 256;

/**
 * The distinct trigrams (of code points, as FTS5's tokenizer makes them) of a pattern, or of up to
 * MAX_PLANNED_TRIGRAMS positions spread evenly over a long one: planning costs the same for a
 * 64k-character pattern as for a short one.
 */
function patternTrigrams(pattern: string): string[] {
  const step = Math.max(1, Math.floor(pattern.length / MAX_PLANNED_TRIGRAMS));
  const grams = new Set<string>();
  for (let i = 0; i < pattern.length && grams.size < MAX_PLANNED_TRIGRAMS; i += step) {
    // Start on a code point, not inside a surrogate pair.
    const start = i > 0 && isLowSurrogate(pattern.charCodeAt(i)) && isHighSurrogate(pattern.charCodeAt(i - 1)) ? i + 1 : i;
    let end = start;
    for (let n = 0; n < 3 && end < pattern.length; n++) end += (pattern.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
    const gram = pattern.slice(start, end);
    if ([...gram].length === 3) grams.add(gram);
  }
  return [...grams];
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

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
  /** Pattern → its chosen trigrams. */
  trigramPlans: Map<string, { grams: string[]; share: number }>;
}

/** What the reader weighs a document condition by: about how many records match, and how many would be verified. */
export interface DocumentEstimate {
  matches: number;
  verified: number;
}

export class ContainsPlanner {
  readonly #stmt: Prepare;
  readonly #queue: TextQueue;
  /** Collection → its current text sample (taken on first use). */
  readonly #samples = new Map<number, TextSample>();

  constructor(stmt: Prepare, queue: TextQueue) {
    this.#stmt = stmt;
    this.#queue = queue;
  }

  /** A write to the collection: its sample ages (and is taken again after enough writes). */
  noteWrite(cid: number): void {
    const sample = this.#samples.get(cid);
    if (sample) sample.writes++;
  }

  /** Forgets a collection's sample, or every sample. */
  forget(cid?: number): void {
    if (cid === undefined) this.#samples.clear();
    else this.#samples.delete(cid);
  }

  /** SQL yielding the rids whose document contains `pattern` (index candidates, verified by instr). */
  containsSql(cid: number, pattern: string): CompiledFilter | undefined {
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
   * Estimates, from the sample, for a document condition (`$contains` or `$regex`): about how many
   * records match, and how many records finding them all would verify one by one. Undefined for other
   * conditions.
   */
  estimate(cid: number, node: FilterNode): DocumentEstimate | undefined {
    if (node.kind !== "doc") return undefined;
    if (node.op === "contains") {
      return {
        matches: this.#estimateMatches(cid, (d) => d.includes(node.text)),
        verified: this.#estimateCandidates(cid, node.text),
      };
    }
    if (node.op === "regex") {
      const regex = compileRegex(node.text);
      // Filtering first checks a regex on every record.
      return { matches: this.#estimateMatches(cid, (d) => regex.test(d)), verified: this.#sample(cid).total };
    }
    return undefined;
  }

  /** Of `rids`, those whose document satisfies a `$contains` or `$regex` condition, checked one by one. */
  check(cid: number, node: FilterNode & { kind: "doc" }, rids: number[]): Set<number> {
    const test =
      node.op === "contains"
        ? "instr(r.document, ?) > 0"
        : node.op === "regex"
          ? "r.document IS NOT NULL AND chromalite_regexp(?, r.document)"
          : undefined;
    if (test === undefined) throw new InternalError(`checkDocumentCondition: unsupported $${node.op}`);
    const matched = this.#stmt(
      // CROSS JOIN keeps SQLite from walking the collection's index instead of looking each rid up.
      `SELECT r.rid FROM json_each(?) AS j CROSS JOIN records AS r ON r.rid = j.value WHERE r.cid = ? AND ${test}`,
    )
      .pluck()
      .all(JSON.stringify(rids), cid, node.text) as number[];
    return new Set(matched);
  }

  /**
   * SQL yielding a superset of the rids containing `pattern`: the records holding the phrase of its
   * whole words in the BM25 index (see phraseTerms) or else a few selective trigrams, plus the records
   * still in the queue, which may be missing from (or stale in) the indexes.
   */
  #candidatesSql(cid: number, pattern: string): CompiledFilter | undefined {
    if (!this.#queue.ready(cid) || !trigramUsable(pattern)) return undefined;
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
    const ranked = patternTrigrams(pattern)
      .map((gram) => ({ gram, share: (sample.trigramCounts.get(gram) ?? 0) / size }))
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
    if (sample.trigramPlans.size >= PLANS_PER_SAMPLE) sample.trigramPlans.clear();
    sample.trigramPlans.set(pattern, plan);
    return plan;
  }

  /**
   * About how many candidates `containsSql` would verify for `pattern` (the whole collection when the
   * index cannot answer it), from the sample.
   */
  #estimateCandidates(cid: number, pattern: string): number {
    const sample = this.#sample(cid);
    if (!this.#queue.ready(cid) || !trigramUsable(pattern)) return sample.total;
    const phrase = phraseTerms(pattern);
    if (phrase !== undefined) {
      // About the records holding the pattern's whole words in a row: the sample's matches of that part.
      return Math.max(1, this.#estimateMatches(cid, (d) => d.includes(phrase.inner)));
    }
    return sample.total * this.#selectiveTrigrams(cid, pattern).share;
  }

  /** About how many records of a collection have a document passing `test`, from the sample. */
  #estimateMatches(cid: number, test: (document: string) => boolean): number {
    const sample = this.#sample(cid);
    if (sample.documents.length === 0) return 0;
    let hits = 0;
    for (const d of sample.documents) if (d !== null && test(d)) hits++;
    return (hits / sample.documents.length) * sample.total;
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
      // The start of a long document is sample enough: counting all its trigrams would cost as much as its length.
      const end = Math.min(d.length, SAMPLE_CHARS);
      for (let i = 0; i + 3 <= end; i++) inDocument.add(d.slice(i, i + 3));
      for (const g of inDocument) trigramCounts.set(g, (trigramCounts.get(g) ?? 0) + 1);
    }
    const sample = { documents, trigramCounts, total, writes: 0, trigramPlans: new Map() };
    this.#samples.set(cid, sample);
    return sample;
  }
}
