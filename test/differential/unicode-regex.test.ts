/**
 * Differential test: `$regex` / `$not_regex` over documents in many scripts, on chromalite in process
 * and on the real Chroma. Chroma matches with Rust's `regex` crate, whose classes are Unicode-aware
 * (`\w \d \s \b` and their negations, `.` is a code point, `(?i)` folds case beyond ASCII) and which
 * has class set operations (`&&`, `--`, `~~`); the two must accept and reject the same patterns and
 * match the same documents. A few patterns also go through `chromalite run`'s HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import { request, startChromalite, type ChromaliteTarget } from "../server/helpers.js";
import { capture, compareOutcome, same, uniqueName, usePair, type LooseCollection } from "./harness.js";

const oracle = await oracleAvailable();

const DOCUMENTS = [
  "café", "٣ digits", "école", "crème brûlée", "naïve façade", "日本語のテキスト", "Ελληνικά λέξεις",
  "tab\there", "nbsp\u00a0space", "em\u2003space", "𝟘𝟙 math digits", "under_score", "A", "a", "3", "4",
  "ǅungla", "x\u200dy", "Straße", "İstanbul", "😀 grin", "plain ascii words", "१२३ Devanagari", "MIXED Case",
];

const PATTERNS = [
  // Perl classes: Unicode in Rust's regex
  "^\\w+$", "\\d", "^\\d$", "\\D", "\\s", "^\\S+$", "\\W", "\\bé", "é\\b", "\\Bé", "\\b\\w{5}\\b", "\\bdigits\\b",
  // the same, ASCII only, asked for explicitly
  "(?-u:\\w)+$", "(?-u:\\b)é", "[[:alpha:]]{4}", "[[:digit:]]",
  // set operations inside classes
  "[\\p{L}&&\\p{Ll}]", "^[\\p{L}&&\\p{Lu}]$", "^[\\d--3]$", "^[\\d--[0-3]]$", "^[\\w~~\\d]+$", "[a-z&&[^aeiou]]{3}",
  // properties, scripts, code points
  "\\p{Greek}", "\\p{Han}+", "^\\p{Nd}+", "\\pN", "\\p{Lt}", "\\x{1F600}", "^.{4}$", "^.{6}$", "^😀", "[^\\x00-\\x7F]",
  // case folding beyond ASCII
  "(?i)ÉCOLE", "(?i)STRASSE", "(?i)straße", "(?i)^ǆ", "(?i)İ", "(?i)mixed case",
  // syntax errors and edges of the syntax
  "[\\p{L}&&]", "[^\\s\\S]", "(?-u:\\b)x", "(?-u:[a-z])", "\\p{NotAProperty}", "[a--]", "\\Qa.b\\E", "(?=x)", "a++", "\\u00e9", "x{1001}",
];

describe.skipIf(!oracle.ok)(`Unicode $regex vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();
  let sides: Promise<[LooseCollection, LooseCollection]> | undefined;
  const ids = DOCUMENTS.map((_, i) => `d${i}`);

  async function collections(): Promise<[LooseCollection, LooseCollection]> {
    const { lite, oracle: chroma } = pair();
    const name = uniqueName("ure");
    const seed = { ids, embeddings: DOCUMENTS.map((_, i) => [i, 1]), documents: DOCUMENTS };
    const a = await lite.createCollection({ name });
    const b = await chroma.createCollection({ name });
    await a.add(seed);
    await b.add(seed);
    return [a, b];
  }

  it.each(PATTERNS)("%j", async (pattern) => {
    const [a, b] = await (sides ??= collections());
    for (const op of ["$regex", "$not_regex"]) {
      const args = { whereDocument: { [op]: pattern }, include: ["documents"] };
      const mine = await capture("lite", () => a.get(args));
      const theirs = await capture("oracle", () => b.get(args));
      compareOutcome(mine, theirs, `${op} ${pattern}`);
      if (mine.ok && theirs.ok) same(mine.value.documents, theirs.value.documents, `${op} ${pattern}`);
    }
  });

  it("the issue's three examples, pinned", async () => {
    const [a] = await (sides ??= collections());
    const docs = async (pattern: string) => (await a.get({ whereDocument: { $regex: pattern }, include: ["documents"] })).documents;
    expect(await docs("^\\w+$")).toContain("café");
    expect(await docs("\\d")).toContain("٣ digits");
    expect(await docs("\\bé")).toEqual(["école"]);
  });

  describe("through the server", () => {
    let target: ChromaliteTarget | undefined;
    beforeAll(async () => {
      target = await startChromalite();
    });
    afterAll(async () => {
      await target?.close();
    });

    it.each(["^\\w+$", "\\bé", "^[\\d--3]$", "[\\p{L}&&\\p{Lu}]", "(?i)STRASSE", "[\\p{L}&&]"])("%j", async (pattern) => {
      const base = `${target!.url}/api/v2/tenants/default_tenant/databases/default_database/collections`;
      const name = uniqueName("urs");
      const created = await request(base, "POST", "", { name });
      const id = (created.body as { id: string }).id;
      await request(base, "POST", `/${id}/add`, { ids, embeddings: DOCUMENTS.map((_, i) => [i, 1]), documents: DOCUMENTS });
      const served = await request(base, "POST", `/${id}/get`, { where_document: { $regex: pattern }, include: ["documents"] });
      const [a] = await (sides ??= collections());
      const inProcess = await capture("lite", () => a.get({ whereDocument: { $regex: pattern }, include: ["documents"] }));
      if (inProcess.ok) {
        expect(served.status).toBe(200);
        expect((served.body as { documents: string[] }).documents).toEqual(inProcess.value.documents);
      } else {
        expect(served.status).toBe(400);
      }
    });
  });
});
