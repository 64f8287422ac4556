/**
 * chromalite indexes documents with the terms of Chroma's `chroma_bm25` sparse embedding function, so
 * a sparse query vector made by `@chroma-core/chroma-bm25` (what the official client sends) names the
 * terms chromalite indexed. Checked against the package itself.
 */
import fs from "node:fs";
import { ChromaBm25EmbeddingFunction, DEFAULT_CHROMA_BM25_STOPWORDS } from "@chroma-core/chroma-bm25";
import { describe, expect, it } from "vitest";
import { CHROMA_BM25_STOPWORDS } from "../../src/text/bm25-stopwords.js";
import fc from "fast-check";
import { Knn } from "../../src/index.js";
import { bm25SparseVector, bm25TermIds, CHROMA_BM25_CONFIG, splitAtWhitespace } from "../../src/text/bm25.js";
import { tempClient } from "../helpers/tmp.js";
import { sharedData } from "../helpers/datasets.js";

const CRANFIELD = sharedData("cranfield/cran.all.1400").path;

const ADVERSARIAL = [
  "",
  "   \t\n ",
  "the of and a",
  "Don't stop-believing: it's 2024!",
  "Ünïcödé naïve café — résumé's ÅNGSTRÖM",
  "日本語のテキスト and 東京",
  "emoji 😀 words 😀😀",
  "x".repeat(41) + " short " + "y".repeat(40),
  "running runs ran runner RUNNING",
  "under_score snake_case CamelCase 3.14159 1e-5",
  "İstanbul ıi ß ﬁne",
];

describe("chroma_bm25 compatibility", () => {
  it("uses the same stopwords and parameters", () => {
    expect([...CHROMA_BM25_STOPWORDS]).toEqual([...DEFAULT_CHROMA_BM25_STOPWORDS]);
    expect(new ChromaBm25EmbeddingFunction().getConfig()).toEqual(CHROMA_BM25_CONFIG);
  });

  it("makes the same sparse vectors on adversarial texts", async () => {
    const ef = new ChromaBm25EmbeddingFunction();
    const theirs = await ef.generate(ADVERSARIAL);
    ADVERSARIAL.forEach((text, i) => expect({ text, v: bm25SparseVector(text) }).toEqual({ text, v: theirs[i] }));
    expect(bm25TermIds("the of")).toEqual([]);
  });

  it.skipIf(!fs.existsSync(CRANFIELD))(`makes the same sparse vectors on the Cranfield abstracts (${CRANFIELD})`, async () => {
    const docs = fs.readFileSync(CRANFIELD, "utf8").split(/\r?\n\.I /).slice(0, 400);
    const theirs = await new ChromaBm25EmbeddingFunction().generate(docs);
    let same = 0;
    docs.forEach((d, i) => (JSON.stringify(bm25SparseVector(d)) === JSON.stringify(theirs[i]) ? same++ : 0));
    expect(same).toBe(docs.length);
  });
});

describe("large documents are tokenized in pieces", () => {
  it("cutting at whitespace keeps every token (fast-check)", () => {
    const char = fc.constantFrom("a", "B", "é", "Σ", "ς", " ", "\t", "\n", "-", "'", "1", "_", "😀", "İ", "\u00a0", "\u2003");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 300 }).map((cs) => cs.join("")), fc.integer({ min: 1, max: 40 }), (text, size) => {
        const pieces = splitAtWhitespace(text, size);
        expect(pieces.join("")).toBe(text);
        expect(pieces.flatMap((p) => bm25TermIds(p))).toEqual(bm25TermIds(text));
      }),
      { numRuns: 500 },
    );
  });

  it("indexes a 300 KB document whole: words at every place are found by BM25", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "large-doc" });
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler${i % 97}`).join(" ");
    const big = ["alphaword", filler(15_000), "betaword", filler(15_000), "gammaword", filler(15_000), "deltaword"].join(" ");
    expect(big.length).toBeGreaterThan(300_000);
    await c.add({ ids: ["big", "small"], embeddings: [[1, 0], [0, 1]], documents: [big, "a small document about deltaword"] });
    for (const word of ["alphaword", "betaword", "gammaword", "deltaword", "filler42"]) {
      const r = await c.search({ rank: Knn({ query: word, key: "#document" }), select: ["#score"] });
      expect({ word, found: r.ids[0]!.includes("big") }).toEqual({ word, found: true });
    }
    const got = await c.get({ ids: ["big"] });
    expect(got.documents[0]).toBe(big);
  });
});
