/**
 * chromalite stems with the `porter2` package; chroma_bm25 stems with `snowball-stemmers`' English
 * stemmer (a devDependency here for this comparison only). A term id is the hash of a stem, so the
 * two must agree on every token chromalite's tokenizer can make, or a sparse query from the official
 * client would name terms chromalite never indexed.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { stem as porter2 } from "porter2";
import { describe, expect, it } from "vitest";
import { bm25Tokens, bm25Words } from "../../src/text/bm25.js";
import { sharedData } from "../helpers/datasets.js";

const snowball = (createRequire(import.meta.url)("snowball-stemmers") as { newStemmer(l: string): { stem(w: string): string } }).newStemmer(
  "english",
);
const snowballStem = (w: string) => snowball.stem(w).trim();

function disagreements(words: Iterable<string>): string[] {
  const out: string[] = [];
  for (const w of words) if (porter2(w) !== snowballStem(w)) out.push(`${w}: porter2 ${porter2(w)}, snowball ${snowballStem(w)}`);
  return out;
}

const CRANFIELD = sharedData("cranfield/cran.all.1400").path;
const FIORI = sharedData("fiori-docs-minilm/records.jsonl").path;

/** Porter2's special cases and the suffixes of each of its steps. */
const EDGE_WORDS = [
  "skis", "skies", "sky", "dying", "lying", "tying", "idly", "gently", "ugly", "early", "only", "singly",
  "news", "howe", "atlas", "cosmos", "bias", "andes", "inning", "innings", "outing", "outings", "canning",
  "cannings", "herring", "herrings", "earring", "earrings", "proceed", "exceed", "succeed", "generate",
  "generates", "generated", "generously", "communism", "communion", "arsenal", "yes", "cry", "enjoy", "say",
  "boy", "abey", "ying", "agreed", "feed", "disowned", "luxuriating", "hopping", "hoping", "troubled",
  "sized", "falling", "filing", "controlling", "hopeful", "goodness", "triplicate", "formative",
  "formalize", "electricity", "electrical", "adoption", "rational", "national", "reference", "adjustable",
  "defensible", "irritant", "replacement", "adjustment", "dependent", "activate", "homologous", "effective",
  "bowdlerize", "probate", "rate", "cease", "roll", "a", "aa", "y", "yy", "ss", "ies", "ied", "1st", "mc2",
  "under_score", "naïve", "café", "résumé", "straße", "ångström", "ıi", "ﬁne", "日本語", "σίσυφος",
];

describe("the stemmer", () => {
  it("agrees with snowball-stemmers' English on Porter2's special cases and every step's suffixes", () => {
    expect(disagreements(EDGE_WORDS)).toEqual([]);
  });

  it.skipIf(!fs.existsSync(CRANFIELD) || !fs.existsSync(FIORI))(`agrees on every word of the Cranfield and Fiori texts (${CRANFIELD})`, () => {
    const words = new Set([...bm25Words(fs.readFileSync(CRANFIELD, "utf8")), ...bm25Words(fs.readFileSync(FIORI, "utf8"))]);
    expect(words.size).toBeGreaterThan(10_000);
    expect(disagreements(words)).toEqual([]);
  });

  it("agrees on generated words: letters of several scripts, digits, underscores and English suffixes", () => {
    const letter = fc.constantFrom(..."aeiouybcdfghjklmnpqrstvwxz_0123456789éüßñçαβ日ıſ".split(""));
    const suffix = fc.constantFrom(
      "", "ing", "ed", "ies", "ied", "ss", "s", "us", "y", "ly", "ement", "ness", "ational", "tional", "enci",
      "anci", "abli", "entli", "izer", "ization", "ation", "ator", "alism", "aliti", "iveness", "iviti",
      "fulness", "biliti", "logi", "ousli", "ic", "ical", "ful", "able", "ible", "ant", "ence", "ance", "er",
      "ism", "ate", "iti", "ous", "ive", "ize", "ion", "al", "e", "ll", "eed", "eedly", "ingly", "edly", "li",
    );
    const word = fc.tuple(fc.array(letter, { minLength: 1, maxLength: 10 }), suffix, suffix).map(([cs, a, b]) => cs.join("") + a + b);
    fc.assert(
      fc.property(word, (w) => porter2(w) === snowballStem(w)),
      { numRuns: 20_000, seed: 42 },
    );
  });

  it("is what the tokenizer applies", () => {
    expect(bm25Tokens("Generously running skies, dying innings")).toEqual(["generous", "run", "sky", "die", "inning"]);
  });
});
