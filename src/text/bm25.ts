/**
 * BM25 terms, exactly as Chroma's BM25 sparse embedding function (`@chroma-core/chroma-bm25`, name
 * `chroma_bm25`) makes them: strip non-alphanumerics, lower-case, split on whitespace, drop English
 * stopwords and tokens over 40 characters, Snowball-stem, then hash each stem with its murmur3 variant.
 * chromalite indexes documents as these term ids (in SQLite FTS5, which scores with BM25), so a sparse
 * query vector that the official client computes with that package names the same terms, and a text
 * query in process gives the same result. Pure: no I/O.
 */
/**
 * Snowball's English stemmer (Porter2), which chroma_bm25 applies with `snowball-stemmers`: the
 * `porter2` package gives the same stems (test/text/stemmer.test.ts compares the two over the test
 * corpora's words and generated ones) at 0.1-0.6 µs a word instead of 4-5, and loads in 2 ms instead
 * of holding the event loop for 18-31 ms while snowball's every-language bundle compiles.
 */
import { stem } from "porter2";
import { CHROMA_BM25_STOPWORDS } from "./bm25-stopwords.js";

/** The name Chroma records for its BM25 sparse embedding function. */
export const CHROMA_BM25_NAME = "chroma_bm25";

/** `chroma_bm25`'s defaults; only `token_max_length` and the stopwords change which terms are indexed. */
export const CHROMA_BM25_CONFIG = Object.freeze({ k: 1.2, b: 0.75, avg_doc_length: 256, token_max_length: 40 });

const STOPWORDS = new Set(CHROMA_BM25_STOPWORDS);

/**
 * chroma_bm25's murmur3 (seed 0) over UTF-16 code units truncated to bytes, made non-negative with
 * `Math.abs` of the signed value. A standard murmur3 library hashes UTF-8 bytes and would name
 * different terms, so this is the package's own variant, kept byte for byte.
 */
function murmur3Abs(key: string): number {
  let h1 = 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const bytes = key.length - (key.length & 3);
  let i = 0;
  while (i < bytes) {
    let k1 =
      (key.charCodeAt(i) & 0xff) |
      ((key.charCodeAt(i + 1) & 0xff) << 8) |
      ((key.charCodeAt(i + 2) & 0xff) << 16) |
      ((key.charCodeAt(i + 3) & 0xff) << 24);
    i += 4;
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = Math.imul(h1, 5) + 0xe6546b64;
  }
  let k1 = 0;
  const rest = key.length & 3;
  if (rest === 3) k1 ^= (key.charCodeAt(i + 2) & 0xff) << 16;
  if (rest >= 2) k1 ^= (key.charCodeAt(i + 1) & 0xff) << 8;
  if (rest >= 1) {
    k1 ^= key.charCodeAt(i) & 0xff;
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
  }
  h1 ^= key.length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return Math.abs(h1 | 0);
}

const NON_WORD = /[^\p{L}\p{N}_\s]+/gu;
const SPACE = /\s+/u;

/** The words of `text` that are stemmed, in order (repeats kept): lower case, no stopwords, none too long. */
export function bm25Words(text: string): string[] {
  return text
    .replace(NON_WORD, " ")
    .toLowerCase()
    .split(SPACE)
    .filter((w) => w.length > 0 && !STOPWORDS.has(w) && w.length <= CHROMA_BM25_CONFIG.token_max_length);
}

/** The stemmed tokens of `text`, in order (repeats kept). */
export function bm25Tokens(text: string): string[] {
  const out: string[] = [];
  for (const word of bm25Words(text)) {
    const s = stem(word);
    if (s.length > 0) out.push(s);
  }
  return out;
}

/** The term ids of `text`, in order (repeats kept): the indices of chroma_bm25's sparse vector. */
export function bm25TermIds(text: string): number[] {
  return bm25Tokens(text).map(murmur3Abs);
}

/** The FTS5 text a document is indexed as: its term ids separated by spaces. */
export function bm25IndexText(text: string): string {
  return bm25TermIds(text).join(" ");
}

/**
 * `text` cut into pieces of about `size` characters, each cut at a whitespace character, so that the
 * pieces' tokens in order are exactly the tokens of `text` (whitespace separates tokens, and a word's
 * lower case only depends on the word). Lets a very large document be tokenized in slices.
 */
export function splitAtWhitespace(text: string, size: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    let cut = start + size;
    while (cut < text.length && !/\s/u.test(text[cut]!)) cut++;
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** chroma_bm25's sparse vector of `text` (sorted indices, BM25-saturated term frequencies). */
export function bm25SparseVector(text: string): { indices: number[]; values: number[] } {
  const ids = bm25TermIds(text);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const { k, b, avg_doc_length } = CHROMA_BM25_CONFIG;
  const indices = [...counts.keys()].sort((x, y) => x - y);
  const values = indices.map((id) => {
    const tf = counts.get(id)!;
    return (tf * (k + 1)) / (tf + k * (1 - b + (b * ids.length) / avg_doc_length));
  });
  return { indices, values };
}
