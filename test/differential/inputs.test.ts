/**
 * Differential test: a table of single operations, most of them invalid or at an edge (bad ids,
 * wrong dimensions, NaN, bad metadata, malformed filters, regular expressions, include, limits), run
 * on a small collection on chromalite and on the real Chroma server. Both must accept or both reject
 * with the same class of error; when both accept, the results and the collection contents must be
 * the same. Deliberate and open differences are listed at the top of ./harness.ts and are not here;
 * known-differences.test.ts pins them down.
 */
import { describe, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import {
  compareContents,
  compareGet,
  compareOutcome,
  compareQueryResults,
  onBoth,
  same,
  uniqueName,
  usePair,
  type GetLike,
  type LooseCollection,
  type QueryLike,
} from "./harness.js";

const oracle = await oracleAvailable();

/** Six records, dimension 3. `n` holds integers and `f` fractions only (see harness.ts). */
const SEED = {
  ids: ["a", "b", "c", "d", "e", "f"],
  embeddings: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 1, 0],
    [0, 1, 1],
    [1, 1, 1],
  ],
  documents: ["apple pie", "Apple", "a.b*c", "crème brûlée", "line1\nline2", "123 apples"],
  metadatas: [
    { s: "a", n: 1, f: 0.5, flag: true, tags: ["x", "y"], nums: [1, 2] },
    { s: "b", n: 2, f: 1.5, flag: false, tags: ["y"] },
    { s: "c", n: 3 },
    { s: "", n: -1, flag: true, nums: [3], bools: [true] },
    { f: 2.5, tags: ["z"] },
    null,
  ],
};

type Action = (c: LooseCollection) => Promise<unknown>;

/** A query action that remembers its arguments (compareQueryResults needs them). */
const q = (args: Record<string, unknown>): Action & { args: Record<string, unknown> } =>
  Object.assign((c: LooseCollection) => c.query(args), { args });

const isResult = (v: unknown): v is GetLike | QueryLike =>
  typeof v === "object" && v !== null && Array.isArray((v as { ids?: unknown }).ids);

/** [name, action] — the action gets a fresh collection holding SEED (or an empty one: see `EMPTY`). */
const RECORD_CASES: [string, Action][] = [
  // ---- ids
  ["add: empty id", (c) => c.add({ ids: [""], embeddings: [[1, 2, 3]] })],
  ["add: numeric id", (c) => c.add({ ids: [1], embeddings: [[1, 2, 3]] })],
  ["add: no ids", (c) => c.add({ ids: [], embeddings: [] })],
  ["add: ids not an array", (c) => c.add({ ids: "a", embeddings: [[1, 2, 3]] })],
  ["add: duplicate ids", (c) => c.add({ ids: ["x", "x"], embeddings: [[1, 2, 3], [3, 2, 1]] })],
  ["add: existing id is ignored", (c) => c.add({ ids: ["a", "new"], embeddings: [[9, 9, 9], [1, 2, 3]], documents: ["changed", "new"] })],
  ["add: unicode and long ids", (c) => c.add({ ids: ["ünï cødé 🙂", "x".repeat(500)], embeddings: [[1, 2, 3], [3, 2, 1]] })],
  // ---- embeddings
  ["add: wrong dimension", (c) => c.add({ ids: ["x"], embeddings: [[1, 2]] })],
  ["add: mixed dimensions", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [1, 2]] })],
  ["add: NaN", (c) => c.add({ ids: ["x"], embeddings: [[1, NaN, 3]] })],
  ["add: Infinity", (c) => c.add({ ids: ["x"], embeddings: [[1, Infinity, 3]] })],
  ["add: -Infinity", (c) => c.add({ ids: ["x"], embeddings: [[-Infinity, 0, 3]] })],
  ["add: empty embedding", (c) => c.add({ ids: ["x"], embeddings: [[]] })],
  ["add: fewer embeddings than ids", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3]] })],
  ["add: no embeddings, documents only (no embedding function)", (c) => c.add({ ids: ["x"], documents: ["doc"] })],
  ["add: neither embeddings nor documents", (c) => c.add({ ids: ["x"] })],
  ["add: float32 rounding", (c) => c.add({ ids: ["x"], embeddings: [[0.1, 0.2, 1e-8]] })],
  ["add: huge and tiny values", (c) => c.add({ ids: ["x"], embeddings: [[3.4e38, -3.4e38, 1e-45]] })],
  ["add: zero vector", (c) => c.add({ ids: ["zero"], embeddings: [[0, 0, 0]] })],
  // ---- documents, uris
  ["add: documents length mismatch", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], documents: ["one"] })],
  ["add: numeric document", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], documents: [42] })],
  ["add: empty document", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], documents: [""] })],
  ["add: long document", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], documents: ["long ".repeat(20000)] })],
  ["add: null uri", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], uris: [null, "u"] })],
  ["add: empty uri", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], uris: [""] })],
  ["add: uris", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], uris: ["file:///a", "http://b/c"] })],
  ["add: uris length mismatch", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], uris: ["u"] })],
  // ---- metadata
  ["add: empty metadata object", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{}] })],
  ["add: metadata null value is dropped", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ k: null, j: 1 }] })],
  ["add: metadata key starting with $", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ $k: 1 }] })],
  ["add: metadata key starting with #", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ "#k": 1 }] })],
  ["add: metadata key with a colon", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ "a:b": 1 }] })],
  ["add: nested metadata object", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ o: { p: 1 } }] })],
  ["add: mixed-type metadata array", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ arr: [1, "a"] }] })],
  ["add: empty metadata array", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ arr: [] }] })],
  ["add: metadata array of objects", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ arr: [{ a: 1 }] }] })],
  ["add: metadata arrays of each type", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ s: ["a", "b"], i: [1, 2], f: [1.5, 2.5], b: [true, false] }] })],
  ["add: big integers and tiny floats in metadata", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ big: 9007199254740991, neg: -5, tiny: 1e-30, e: 1e21 }] })],
  ["add: unicode metadata", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ "ключ": "значение 🙂", s: "" }] })],
  ["add: metadatas length mismatch", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], metadatas: [{ a: 1 }] })],
  ["add: null metadata entry", (c) => c.add({ ids: ["x", "y"], embeddings: [[1, 2, 3], [3, 2, 1]], metadatas: [null, { a: 1 }] })],
  ["add: NaN metadata value", (c) => c.add({ ids: ["x"], embeddings: [[1, 2, 3]], metadatas: [{ v: NaN }] })],
  // ---- update / upsert
  ["update: missing ids are ignored", (c) => c.update({ ids: ["nope", "a"], embeddings: [[5, 5, 5], [2, 2, 2]] })],
  ["update: metadata merge", (c) => c.update({ ids: ["a", "f"], metadatas: [{ s: "A", extra: true }, { only: 1 }] })],
  ["update: documents without embeddings (no embedding function)", (c) => c.update({ ids: ["a"], documents: ["x"] })],
  ["update: wrong dimension", (c) => c.update({ ids: ["a"], embeddings: [[1, 2]] })],
  ["update: duplicate ids", (c) => c.update({ ids: ["a", "a"], embeddings: [[1, 2, 3], [1, 2, 3]] })],
  ["update: empty metadata object", (c) => c.update({ ids: ["a"], metadatas: [{}] })],
  ["update: nothing but ids", (c) => c.update({ ids: ["a"] })],
  ["update: uris only", (c) => c.update({ ids: ["a", "b"], uris: ["u1", "u2"] })],
  ["upsert: new and existing", (c) => c.upsert({ ids: ["a", "z"], embeddings: [[3, 3, 3], [4, 4, 4]], metadatas: [{ s: "upserted" }, { s: "new" }] })],
  ["upsert: existing, no documents keeps the document", (c) => c.upsert({ ids: ["b"], embeddings: [[0, 2, 0]] })],
  ["upsert: duplicate ids", (c) => c.upsert({ ids: ["z", "z"], embeddings: [[1, 2, 3], [3, 2, 1]] })],
  ["upsert: wrong dimension", (c) => c.upsert({ ids: ["a"], embeddings: [[1, 2, 3, 4]] })],
  // ---- get: ids, limit, offset, include
  ["get: missing ids are dropped, order is insertion order", (c) => c.get({ ids: ["f", "nope", "a", "c"] })],
  ["get: limit and offset", (c) => c.get({ limit: 2, offset: 3 })],
  ["get: offset past the end", (c) => c.get({ offset: 10 })],
  ["get: limit 0", (c) => c.get({ limit: 0 })],
  ["get: negative limit", (c) => c.get({ limit: -1 })],
  ["get: negative offset", (c) => c.get({ offset: -1 })],
  ["get: fractional limit", (c) => c.get({ limit: 1.5 })],
  ["get: include everything", (c) => c.get({ include: ["documents", "embeddings", "metadatas", "uris"] })],
  ["get: include nothing", (c) => c.get({ include: [] })],
  ["get: include distances", (c) => c.get({ include: ["distances"] })],
  ["get: include unknown", (c) => c.get({ include: ["bogus"] })],
  ["get: include not an array", (c) => c.get({ include: "documents" })],
  ["peek: default", (c) => c.peek({})],
  ["peek: limit 2", (c) => c.peek({ limit: 2 })],
  ["count", (c) => c.count()],
  // ---- where
  ["where: $eq shorthand", (c) => c.get({ where: { s: "a" } })],
  ["where: bool", (c) => c.get({ where: { flag: true } })],
  ["where: $ne matches records without the key", (c) => c.get({ where: { s: { $ne: "a" } } })],
  ["where: $nin matches records without the key", (c) => c.get({ where: { n: { $nin: [1, 2] } } })],
  ["where: $in strings", (c) => c.get({ where: { s: { $in: ["a", "c", "zz"] } } })],
  ["where: int compared with int", (c) => c.get({ where: { n: { $gte: 2 } } })],
  ["where: float compared with int", (c) => c.get({ where: { f: { $gt: 1 } } })],
  ["where: float compared with float", (c) => c.get({ where: { f: { $lte: 1.5 } } })],
  ["where: $eq float", (c) => c.get({ where: { f: 1.5 } })],
  ["where: type mismatch matches nothing", (c) => c.get({ where: { s: 1 } })],
  ["where: $ne type mismatch matches all", (c) => c.get({ where: { s: { $ne: 1 } } })],
  ["where: $contains on array", (c) => c.get({ where: { tags: { $contains: "y" } } })],
  ["where: $contains number on array", (c) => c.get({ where: { nums: { $contains: 2 } } })],
  ["where: $not_contains on array", (c) => c.get({ where: { tags: { $not_contains: "y" } } })],
  ["where: $contains bool on array", (c) => c.get({ where: { bools: { $contains: true } } })],
  ["where: $contains on a scalar", (c) => c.get({ where: { s: { $contains: "a" } } })],
  ["where: $eq on an array key", (c) => c.get({ where: { tags: "y" } })],
  ["where: $and", (c) => c.get({ where: { $and: [{ n: { $gt: 0 } }, { flag: true }] } })],
  ["where: $or", (c) => c.get({ where: { $or: [{ s: "b" }, { tags: { $contains: "z" } }] } })],
  ["where: nested", (c) => c.get({ where: { $or: [{ $and: [{ n: 1 }, { f: 0.5 }] }, { $and: [{ s: "" }, { flag: true }] }] } })],
  ["add, then where on keys with dots, spaces and unicode", async (c) => {
    await c.add({ ids: ["k"], embeddings: [[2, 2, 2]], metadatas: [{ "a.b": 1, "a b": "x", "ключ": "значение" }] });
    return c.get({ where: { $or: [{ "a.b": 1 }, { "a b": "x" }, { "ключ": "значение" }] } });
  }],
  ["where: missing key", (c) => c.get({ where: { missing: 1 } })],
  // invalid where clauses
  ["where: empty object", (c) => c.get({ where: {} })],
  ["where: two fields", (c) => c.get({ where: { s: "a", n: 1 } })],
  ["where: two operators", (c) => c.get({ where: { n: { $gt: 0, $lt: 3 } } })],
  ["where: unknown operator", (c) => c.get({ where: { n: { $foo: 1 } } })],
  ["where: unknown logical operator", (c) => c.get({ where: { $not: [{ n: 1 }] } })],
  ["where: $and empty", (c) => c.get({ where: { $and: [] } })],
  ["where: $and not a list", (c) => c.get({ where: { $and: { n: 1 } } })],
  ["where: $gt string", (c) => c.get({ where: { s: { $gt: "a" } } })],
  ["where: $lt bool", (c) => c.get({ where: { flag: { $lt: true } } })],
  ["where: $in empty", (c) => c.get({ where: { s: { $in: [] } } })],
  ["where: $in not a list", (c) => c.get({ where: { s: { $in: "a" } } })],
  ["where: $in mixed types", (c) => c.get({ where: { s: { $in: ["a", 1] } } })],
  ["where: $eq list", (c) => c.get({ where: { s: { $eq: ["a"] } } })],
  ["where: $eq null", (c) => c.get({ where: { s: { $eq: null } } })],
  ["where: null value", (c) => c.get({ where: { s: null } })],
  ["where: object operand", (c) => c.get({ where: { s: { $eq: { a: 1 } } } })],
  ["where: $contains list", (c) => c.get({ where: { tags: { $contains: ["y"] } } })],
  ["where: not an object", (c) => c.get({ where: "s" })],
  // ---- whereDocument
  ["whereDocument: $contains", (c) => c.get({ whereDocument: { $contains: "apple" } })],
  ["whereDocument: $contains is case-sensitive", (c) => c.get({ whereDocument: { $contains: "Apple" } })],
  ["whereDocument: $contains empty string", (c) => c.get({ whereDocument: { $contains: "" } })],
  ["whereDocument: $not_contains", (c) => c.get({ whereDocument: { $not_contains: "apple" } })],
  ["whereDocument: $contains unicode", (c) => c.get({ whereDocument: { $contains: "brûlée" } })],
  ["whereDocument: $contains newline", (c) => c.get({ whereDocument: { $contains: "1\nl" } })],
  ["whereDocument: $contains % and _", (c) => c.get({ whereDocument: { $contains: "%" } })],
  ["whereDocument: $and", (c) => c.get({ whereDocument: { $and: [{ $contains: "a" }, { $not_contains: "pie" }] } })],
  ["whereDocument: $or", (c) => c.get({ whereDocument: { $or: [{ $contains: "pie" }, { $regex: "^\\d" }] } })],
  ["whereDocument: with where", (c) => c.get({ where: { n: { $gt: 0 } }, whereDocument: { $contains: "a" } })],
  ["whereDocument: empty object", (c) => c.get({ whereDocument: {} })],
  ["whereDocument: unknown operator", (c) => c.get({ whereDocument: { $like: "a" } })],
  ["whereDocument: two operators", (c) => c.get({ whereDocument: { $contains: "a", $not_contains: "b" } })],
  ["whereDocument: number operand", (c) => c.get({ whereDocument: { $contains: 1 } })],
  ["whereDocument: $and empty", (c) => c.get({ whereDocument: { $and: [] } })],
  // ---- query
  ["query: nResults larger than the count", q({ queryEmbeddings: [[1, 0, 0]], nResults: 50 })],
  ["query: nResults 0", q({ queryEmbeddings: [[1, 0, 0]], nResults: 0 })],
  ["query: negative nResults", q({ queryEmbeddings: [[1, 0, 0]], nResults: -1 })],
  ["query: fractional nResults", q({ queryEmbeddings: [[1, 0, 0]], nResults: 1.5 })],
  ["query: default nResults", q({ queryEmbeddings: [[1, 1, 1]] })],
  ["query: several queries", q({ queryEmbeddings: [[1, 0, 0], [0, 0, 1], [1, 1, 1]], nResults: 3 })],
  ["query: empty query embedding", q({ queryEmbeddings: [[]], nResults: 1 })],
  ["query: wrong dimension", q({ queryEmbeddings: [[1, 0]], nResults: 1 })],
  ["query: NaN", q({ queryEmbeddings: [[NaN, 0, 0]], nResults: 1 })],
  ["query: neither embeddings nor texts", q({ nResults: 1 })],
  ["query: texts without an embedding function", q({ queryTexts: ["apple"], nResults: 1 })],
  ["query: ids subset", q({ queryEmbeddings: [[1, 0, 0]], ids: ["c", "e", "a"], nResults: 5 })],
  ["query: ids and where", q({ queryEmbeddings: [[1, 0, 0]], ids: ["a", "b", "c"], where: { n: { $gte: 2 } } })],
  ["query: where matches nothing", q({ queryEmbeddings: [[1, 0, 0]], where: { s: "zz" } })],
  ["query: whereDocument", q({ queryEmbeddings: [[0, 0, 1]], whereDocument: { $contains: "a" }, nResults: 3 })],
  ["query: include everything", q({ queryEmbeddings: [[0, 1, 0]], nResults: 2, include: ["documents", "embeddings", "metadatas", "uris", "distances"] })],
  ["query: include nothing", q({ queryEmbeddings: [[0, 1, 0]], nResults: 2, include: [] })],
  ["query: include unknown", q({ queryEmbeddings: [[0, 1, 0]], include: ["bogus"] })],
  ["query: zero query vector", q({ queryEmbeddings: [[0, 0, 0]], nResults: 3 })],
  ["query: invalid where", q({ queryEmbeddings: [[0, 1, 0]], where: { n: { $gt: "x" } } })],
  // ---- delete
  ["delete: ids incl. missing", (c) => c.delete({ ids: ["a", "nope"] })],
  ["delete: where", (c) => c.delete({ where: { n: { $gte: 2 } } })],
  ["delete: whereDocument", (c) => c.delete({ whereDocument: { $contains: "apple" } })],
  ["delete: ids and where (intersection)", (c) => c.delete({ ids: ["a", "b", "c"], where: { n: { $gte: 2 } } })],
  ["delete: where and limit", (c) => c.delete({ where: { n: { $gte: -5 } }, limit: 2 })],
  ["delete: limit 0", (c) => c.delete({ where: { n: { $gte: -5 } }, limit: 0 })],
  ["delete: limit without a filter", (c) => c.delete({ ids: ["a"], limit: 1 })],
  ["delete: negative limit", (c) => c.delete({ where: { s: "a" }, limit: -1 })],
  ["delete: no arguments", (c) => c.delete({})],
  ["delete: empty ids alone", (c) => c.delete({ ids: [] })],
  ["delete: invalid where", (c) => c.delete({ where: {} })],
  ["delete: everything, then add another dimension", async (c) => {
    await c.delete({ ids: SEED.ids });
    return c.add({ ids: ["x"], embeddings: [[1, 2]] });
  }],
];

/** Cases on a collection with no records yet. */
const EMPTY_CASES: [string, Action][] = [
  ["empty: query", q({ queryEmbeddings: [[1, 2, 3]], nResults: 3 })],
  ["empty: query nResults 0", q({ queryEmbeddings: [[1, 2]], nResults: 0 })],
  ["empty: get", (c) => c.get({ include: ["documents", "embeddings", "metadatas", "uris"] })],
  ["empty: count", (c) => c.count()],
  ["empty: delete by where", (c) => c.delete({ where: { s: "a" } })],
  ["empty: first add fixes the dimension", async (c) => {
    await c.add({ ids: ["x"], embeddings: [[1, 2]] });
    return c.add({ ids: ["y"], embeddings: [[1, 2, 3]] });
  }],
  ["empty: add with dimension 1", (c) => c.add({ ids: ["x", "y"], embeddings: [[1], [-2]] })],
  ["empty: add a batch larger than the maximum batch size", (c) =>
    c.add({ ids: Array.from({ length: 5462 }, (_, i) => `r${i}`), embeddings: Array.from({ length: 5462 }, () => [1, 2]) })],
];

/**
 * Regular expressions for `$regex`: Chroma uses Rust's `regex` crate, chromalite RE2 (RE2JS). Both
 * must accept and reject the same patterns and match the same documents.
 */
const PATTERNS = [
  "^app", "pie$", "(?i)APPLE", "\\bpie\\b", "\\d+", "^\\d", "[[:digit:]]", "\\p{L}+ \\p{L}+", "\\w+\\.\\w", "a\\.b\\*c",
  "(?s)line1.line2", "line1.line2", "(?m)^line2$", "^line2$", "é", "\\x{e9}", "[^\\x00-\\x7F]", "(?P<w>pie)", "(?<w>pie)",
  "a{2,1}", "(", "[", "\\1", "(?=pie)", "(?!pie)", "x{1000}", "\\z", "\\Z", "\\x{1F600}", "", ".*", "^$",
];

describe.skipIf(!oracle.ok)(`single operations and invalid inputs vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  async function fresh(seeded: boolean): Promise<[LooseCollection, LooseCollection]> {
    const { lite, oracle } = pair();
    const name = uniqueName("in");
    const a = await lite.createCollection({ name });
    const b = await oracle.createCollection({ name });
    if (seeded) {
      await a.add(SEED);
      await b.add(SEED);
    }
    return [a, b];
  }

  /** Reads share one seeded pair (compared whole once more at the end); writes get a fresh one. */
  let shared: Promise<[LooseCollection, LooseCollection]> | undefined;
  const READS = /^(get|peek|count|where|whereDocument|query|\$regex|\$not_regex)\b/;

  async function check(name: string, action: Action, seeded: boolean): Promise<void> {
    const read = seeded && READS.test(name);
    const [a, b] = read ? await (shared ??= fresh(true)) : await fresh(seeded);
    const [ra, rb] = await onBoth(a, b, action);
    compareOutcome(ra, rb, name);
    if (ra.ok && rb.ok) {
      const [va, vb] = [ra.value, rb.value];
      if (isResult(va) && isResult(vb)) {
        if ("distances" in vb) {
          const args = (action as { args?: Record<string, unknown> }).args ?? {};
          await compareQueryResults(va as QueryLike, vb, a, b, args, name);
        } else {
          compareGet(va as GetLike, vb, name);
        }
      } else if (typeof va === "number") {
        same(va, vb, name);
      }
      // `delete`'s count is a deliberate difference; its effect is compared below.
    }
    if (!read) await compareContents(a, b, `${name}: afterwards`);
  }

  it.each(RECORD_CASES)("%s", (name, action) => check(name, action, true));
  it.each(EMPTY_CASES)("%s", (name, action) => check(name, action, false));
  it.each(PATTERNS)("$regex %j", async (pattern) => {
    await check(`$regex ${JSON.stringify(pattern)}`, (c) => c.get({ whereDocument: { $regex: pattern } }), true);
    await check(`$not_regex ${JSON.stringify(pattern)}`, (c) => c.get({ whereDocument: { $not_regex: pattern } }), true);
  });

  it("reads changed nothing", async () => {
    const [a, b] = await (shared ??= fresh(true));
    await compareContents(a, b, "the collection shared by the reads");
  });
});
