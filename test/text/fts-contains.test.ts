/**
 * `$contains` through the trigram index must answer exactly what the plain scan answers: the same
 * case-sensitive substring test, on any text. Each case runs the public `get` (prefilter for patterns
 * of 3+ characters) and the scan SQL on a second connection, and compares both with JS `includes`.
 */
import path from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trigramUsable } from "../../src/store/fulltext/contains-planner.js";
import { SQLITE_FILE } from "../../src/store/sqlite-store.js";
import { tempClient } from "../helpers/tmp.js";

const DOCS = [
  "Hello World",
  "hello world",
  "HELLO WORLD",
  'He said "hello" and left',
  "wild*card and star*",
  "a NEAR b, NEAR(c d), AND OR NOT",
  "col:umn ^caret -minus +plus (paren) {brace}",
  "Straße Ärger über Øresund",
  "STRASSE strasse",
  "naïve café résumé",
  "nai\u0308ve cafe\u0301", // decomposed accents
  "日本語のテキスト 東京",
  "emoji 😀😃😄 grin 😀",
  "aaaaaa",
  "abababab",
  "tab\there\nnewline",
  "   spaces   ",
  "x",
  "",
  "İstanbul ıi",
  "ﬁne ligature",
  "ΟΔΟΣ\u0308Α and ΟΔΟΣ alone", // capital sigma: its lower case depends on what follows
  "running runs ran, the runner's run-time",
];

const PATTERNS = [
  "Hello", "hello", "HELLO", "World", "o W", "lo W", "\"hello\"", '"', '""', "*", "d*c", "star*", "NEAR", "NEAR(", "AND", "OR NOT",
  "col:", ":umn", "^ca", "-mi", "+pl", "(paren)", "{b", "Straße", "strasse", "STRASSE", "über", "Über", "ï", "i\u0308", "e\u0301",
  "café", "日本", "日本語", "東京", "😀", "😀😃", "grin 😀", "aaa", "aaaa", "aaaaaaa", "abab", "babab", "ab", "b", "a", "\t", "t\th",
  "\n", "e\nn", "   ", "  s", "İst", "ıi", "ﬁ", "fine", "x", "nothing here", "' OR 1=1 --", "%", "_", "\\",
  // Whole words inside the pattern: case, stems, stopwords, punctuation.
  " World ", " world ", "o World", 'said "hello" and', " NEAR(c d), ", " Ärger über ", "und über Ø", " ΟΔΟΣ\u0308", "ΟΔΟΣ\u0308Α",
  " ΟΔΟΣ ", "emoji 😀😃😄 grin", " runs ran,", " run-", "the runner's", "'s run", " running ", "ran, the", " İstanbul ",
  "Straße Ärger", " naïve ", "\tand ", " aaaaaa", " 日本語の", " hello\"",
];

async function setup() {
  const { client, dir } = tempClient();
  const c = await client.createCollection({ name: "fts-exact" });
  await c.add({
    ids: DOCS.map((_, i) => `d${i}`).concat(["nodoc"]),
    embeddings: DOCS.map(() => [0, 1]).concat([[1, 0]]),
    documents: [...DOCS, null],
  });
  // A second connection that answers with the scan only.
  const scan = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
  const scanIds = (pattern: string): string[] =>
    (scan.prepare("SELECT id FROM records WHERE instr(document, ?) > 0 ORDER BY rid").pluck().all(pattern) as string[]);
  return { client, c, scan, scanIds };
}

describe("$contains with the trigram prefilter is exact", () => {
  it("matches the scan and JS includes on adversarial documents and patterns", async () => {
    const { c, scan, scanIds } = await setup();
    try {
      for (const pattern of PATTERNS) {
        const expected = DOCS.flatMap((d, i) => (d.includes(pattern) ? [`d${i}`] : []));
        const viaGet = (await c.get({ whereDocument: { $contains: pattern } })).ids;
        expect({ pattern, ids: viaGet }).toEqual({ pattern, ids: expected });
        expect({ pattern, ids: scanIds(pattern) }).toEqual({ pattern, ids: expected });
        // With a limit SQLite stops at the page's end: the same page as slicing every match.
        const page = (await c.get({ whereDocument: { $contains: pattern }, limit: 2, offset: 1 })).ids;
        expect({ pattern, ids: page }).toEqual({ pattern, ids: expected.slice(1, 3) });
        const notContains = (await c.get({ whereDocument: { $not_contains: pattern } })).ids;
        expect(notContains.length + viaGet.length).toBe(DOCS.length + 1);
      }
      // The prefilter was really in play for the longer patterns.
      expect(PATTERNS.filter(trigramUsable).length).toBeGreaterThan(30);
    } finally {
      scan.close();
    }
  });

  it("stays exact after updates, upserts and deletes", async () => {
    const { c, scan, scanIds } = await setup();
    try {
      await c.update({ ids: ["d0"], embeddings: [[0, 1]], documents: ["Goodbye World"] });
      await c.upsert({ ids: ["d1", "new"], embeddings: [[0, 1], [0, 1]], documents: ["hello again", "brand new hello"] });
      await c.delete({ ids: ["d2"] });
      await c.update({ ids: ["d3"], metadatas: [{ touched: true }] }); // document unchanged
      for (const pattern of ["Hello", "hello", "World", "Goodbye", "again", "new hello", '"hello"']) {
        expect((await c.get({ whereDocument: { $contains: pattern } })).ids).toEqual(scanIds(pattern));
      }
      expect((await c.get({ whereDocument: { $contains: "HELLO WORLD" } })).ids).toEqual([]);
    } finally {
      scan.close();
    }
  });

  it("agrees with includes on random strings over a hostile alphabet (property)", async () => {
    const alphabet = ["a", "b", "A", "B", " ", '"', "*", "N", "E", "R", "(", ")", "ß", "é", "e\u0301", "😀", "日", "\n", ":", "-", "^"];
    const text = (max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: max }).map((a) => a.join(""));
    const { client } = tempClient();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(text(24), { minLength: 1, maxLength: 12 }), fc.array(text(6), { minLength: 1, maxLength: 6 }), async (docs, patterns) => {
        const c = await client.createCollection({ name: `prop-${n++}` });
        await c.add({ ids: docs.map((_, i) => `${i}`), embeddings: docs.map(() => [1]), documents: docs });
        for (const pattern of patterns) {
          const expected = docs.flatMap((d, i) => (d.includes(pattern) ? [`${i}`] : []));
          expect((await c.get({ whereDocument: { $contains: pattern } })).ids).toEqual(expected);
        }
        await client.deleteCollection({ name: c.name });
      }),
      { numRuns: 40 },
    );
  });

  it("agrees with includes for slices of wordy documents: the whole-word phrase prefilter (property)", async () => {
    const words = ["Flow", "flow", "flows", "the", "of", "AND", "boundary", "layer's", "layers", "naïve", "ΟΔΟΣ", "Σίσυφος", "İstanbul", "x1", "under_score", "runner", "running", "ran", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"];
    const seps = [" ", "  ", ", ", "-", "'", "\n", ". ", "—", "\t"];
    const doc = fc
      .array(fc.tuple(fc.constantFrom(...words), fc.constantFrom(...seps)), { minLength: 1, maxLength: 14 })
      .map((parts) => parts.map(([w, sep]) => w + sep).join(""));
    const { client } = tempClient();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(doc, { minLength: 2, maxLength: 10 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }), async (docs, cuts) => {
        const c = await client.createCollection({ name: `words-${n++}` });
        await c.add({ ids: docs.map((_, i) => `${i}`), embeddings: docs.map((_, i) => [i, 1]), documents: docs });
        for (const [which, from, length] of cuts) {
          const source = docs[which % docs.length]!;
          const start = from % Math.max(1, source.length);
          const pattern = source.slice(start, start + 3 + (length % 30));
          const expected = docs.flatMap((d, i) => (d.includes(pattern) ? [`${i}`] : []));
          expect({ pattern, ids: (await c.get({ whereDocument: { $contains: pattern } })).ids }).toEqual({ pattern, ids: expected });
          const q = await c.query({ queryEmbeddings: [[0, 1]], nResults: docs.length, whereDocument: { $contains: pattern }, include: [] });
          expect({ pattern, ids: [...q.ids[0]!].sort() }).toEqual({ pattern, ids: [...expected].sort() });
        }
        await client.deleteCollection({ name: c.name });
      }),
      { numRuns: 60 },
    );
  });
});
