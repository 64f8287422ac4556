/**
 * Differential test: collection-level operations (names, metadata, configuration and distance
 * spaces, get-or-create, modify, list, count, delete) on chromalite and on the real Chroma server.
 * Deliberate and open differences are listed at the top of ./harness.ts.
 */
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import {
  bothOk,
  compareContents,
  expectOutcome,
  compareQueryResults,
  onBoth,
  same,
  uniqueName,
  usePair,
  type LooseCollection,
  type Outcome,
} from "./harness.js";

const oracle = await oracleAvailable();

/** Names, and whether Chroma's rule (3-512 of [a-zA-Z0-9._-], alphanumeric ends, no "..", no IPv4) takes them. */
const INVALID_NAMES: unknown[] = [
  "ab", "a", "", "bad name", "bad/name", "-abc", "abc-", "_abc", "abc_", "a..b", "192.168.1.1", "ÄÖÜname", "abc!",
  "x".repeat(513), 123, null,
];
const VALID_NAMES: unknown[] = ["ABC", "a_b-c.d", "a.b", "abc", "x".repeat(512), "1.2.3", "999.1.1.1", "a-.b", "0ab9"];
const NAMES: [unknown, "ok" | "invalid"][] = [
  ...INVALID_NAMES.map((n): [unknown, "invalid"] => [n, "invalid"]),
  ...VALID_NAMES.map((n): [unknown, "ok"] => [n, "ok"]),
];

/** The part of a collection both clients describe alike. */
function describeCollection(c: LooseCollection & { configuration?: { hnsw?: { space?: string } | null } }) {
  return { name: c.name, metadata: c.metadata ?? null, space: c.configuration?.hnsw?.space ?? "l2" };
}

/** Both succeed with collections described alike. */
function sameCollections(a: Outcome<LooseCollection>, b: Outcome<LooseCollection>, what: string): void {
  const [ca, cb] = bothOk(a, b, what);
  same(describeCollection(ca), describeCollection(cb), what);
}

describe.skipIf(!oracle.ok)(`collections vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  it.each(NAMES.map(([n, expected]) => [typeof n === "string" && n.length > 20 ? `${n.slice(0, 8)}… (${n.length})` : JSON.stringify(n), n, expected] as const))(
    "create with name %s: %s",
    async (_label, name, expected) => {
      const { lite, oracle } = pair();
      const [a, b] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
      expectOutcome(a, b, expected, `create ${JSON.stringify(name)}`);
      if (expected === "invalid") return;
      sameCollections(a, b, `create ${JSON.stringify(name)}`);
      // The name is taken now, on both.
      const [a2, b2] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
      expectOutcome(a2, b2, "unique", `create ${JSON.stringify(name)} again`);
      const [a3, b3] = await onBoth(lite, oracle, (c) => c.getCollection({ name }));
      sameCollections(a3, b3, `get ${JSON.stringify(name)}`);
    },
  );

  /** Arguments, and what both must answer (checked against each other and against this). */
  const CREATE_ARGS: [string, Record<string, unknown>, "ok" | "invalid"][] = [
    ["metadata of each scalar type", { metadata: { s: "x", i: 1, f: 1.5, b: true, neg: -2 } }, "ok"],
    ["empty metadata", { metadata: {} }, "invalid"],
    ["metadata with a null value", { metadata: { k: 1, n: null } }, "ok"],
    ["nested metadata", { metadata: { o: { p: 1 } } }, "invalid"],
    ["metadata key with $", { metadata: { $k: 1 } }, "invalid"],
    ["space l2", { configuration: { hnsw: { space: "l2" } } }, "ok"],
    ["space cosine", { configuration: { hnsw: { space: "cosine" } } }, "ok"],
    ["space ip", { configuration: { hnsw: { space: "ip" } } }, "ok"],
    ["unknown space", { configuration: { hnsw: { space: "manhattan" } } }, "invalid"],
    ["legacy hnsw:space metadata", { metadata: { "hnsw:space": "cosine", owner: "me" } }, "ok"],
    ["legacy unknown hnsw:space", { metadata: { "hnsw:space": "manhattan" } }, "invalid"],
    ["hnsw parameters", { configuration: { hnsw: { ef_construction: 200, ef_search: 50, max_neighbors: 32 } } }, "ok"],
    ["negative ef_construction", { configuration: { hnsw: { ef_construction: -1 } } }, "invalid"],
    ["fractional ef_search", { configuration: { hnsw: { ef_search: 1.5 } } }, "invalid"],
    ["unknown hnsw key", { configuration: { hnsw: { colour: "red" } } }, "invalid"],
  ];

  it.each(CREATE_ARGS)("create with %s: %s", async (label, args, expected) => {
    const { lite, oracle } = pair();
    const name = uniqueName("cc");
    const [a, b] = await onBoth(lite, oracle, (c) => c.createCollection({ name, ...args }));
    expectOutcome(a, b, expected, `create with ${label}`);
    if (expected === "invalid") return;
    sameCollections(a, b, `create with ${label}`);
    const [a2, b2] = await onBoth(lite, oracle, (c) => c.getCollection({ name }));
    sameCollections(a2, b2, `get after create with ${label}`);
  });

  it("getOrCreate returns the existing collection and ignores new metadata", async () => {
    const { lite, oracle } = pair();
    const name = uniqueName("goc");
    sameCollections(...(await onBoth(lite, oracle, (c) => c.getOrCreateCollection({ name, metadata: { v: 1 } }))), "first");
    sameCollections(...(await onBoth(lite, oracle, (c) => c.getOrCreateCollection({ name, metadata: { v: 2 } }))), "second");
    sameCollections(...(await onBoth(lite, oracle, (c) => c.getCollection({ name }))), "get");
  });

  it("missing collections are not found", async () => {
    const { lite, oracle } = pair();
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name: "does-not-exist" }))), "not-found", "get");
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.deleteCollection({ name: "does-not-exist" }))), "not-found", "delete");
  });

  it("modify: rename, metadata, configuration", async () => {
    const { lite, oracle } = pair();
    const name = uniqueName("mod");
    const [a, b] = bothOk(...(await onBoth(lite, oracle, (c) => c.createCollection({ name, metadata: { m1: 1, m2: "two" } }))), "create");
    let current = name;
    const step = async (what: string, args: Record<string, unknown>, expected: "ok" | "invalid") => {
      const [ma, mb] = await onBoth(a, b, (c) => c.modify(args));
      expectOutcome(ma, mb, expected, what);
      // Compared through a fresh get: the official client changes its handle before the request
      // (a failed rename still renames it) and keeps null metadata values in it.
      if (expected === "ok" && typeof args.name === "string") current = args.name;
      if (expected === "ok") same(a.name, current, `${what}: the name of the handle`);
      const [ga, gb] = await onBoth(lite, oracle, (c) => c.getCollection({ name: current }));
      sameCollections(ga, gb, `${what}: get by name`);
    };
    await step("rename", { name: `${name}-renamed` }, "ok");
    await step("rename to the same name", { name: `${name}-renamed` }, "ok");
    await step("rename to an invalid name", { name: "a" }, "invalid");
    await step("replace metadata", { metadata: { m3: 3 } }, "ok");
    await step("metadata with a null value", { metadata: { m4: 4, gone: null } }, "ok");
    await step("empty metadata", { metadata: {} }, "invalid");
    await step("ef_search", { configuration: { hnsw: { ef_search: 77 } } }, "ok");
    await step("change the space", { configuration: { hnsw: { space: "cosine" } } }, "invalid");
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name }))), "not-found", "the old name is gone");
  });

  it("list and count agree", async () => {
    const { lite, oracle } = pair();
    const count = async () => {
      return bothOk(...(await onBoth(lite, oracle, (c) => c.countCollections())), "countCollections");
    };
    const before = await count();
    for (const n of ["lst-one", "lst-two", "lst-three"]) bothOk(...(await onBoth(lite, oracle, (c) => c.createCollection({ name: n }))), `create ${n}`);
    const after = await count();
    same(after[0] - before[0], 3, "collections added to the count (chromalite)");
    same(after[1] - before[1], 3, "collections added to the count (Chroma)");
    const [la, lb] = bothOk(...(await onBoth(lite, oracle, (c) => c.listCollections({ limit: 1000 }))), "list");
    // Chroma lists in no particular order (chromalite: creation order), so compare the sets.
    const mine = (list: LooseCollection[]) => list.map((c) => c.name).filter((n) => n.startsWith("lst-")).sort();
    same(mine(la), ["lst-one", "lst-three", "lst-two"], "list (chromalite)");
    same(mine(lb), ["lst-one", "lst-three", "lst-two"], "list (Chroma)");
    same(la.length, after[0], "list length is the count (chromalite)");
    same(lb.length, after[1], "list length is the count (Chroma)");
    const [pa, pb] = bothOk(...(await onBoth(lite, oracle, (c) => c.listCollections({ limit: 2, offset: 1 }))), "list page");
    same(pa.length, Math.min(2, after[0] - 1), "list page size (chromalite)");
    same(pb.length, pa.length, "list page size");
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.listCollections({ limit: -1 }))), "invalid", "negative limit");
  });

  it("a deleted collection is gone, and its handle fails", async () => {
    const { lite, oracle } = pair();
    const name = uniqueName("del");
    const [ca, cb] = bothOk(...(await onBoth(lite, oracle, (c) => c.createCollection({ name }))), "create");
    // Scalar metadata only: array values would leak on Chroma (see "Chroma bugs avoided").
    bothOk(...(await onBoth(ca, cb, (c) => c.add({ ids: ["a"], embeddings: [[1, 2]], metadatas: [{ k: 1 }] }))), "add");
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.deleteCollection({ name }))), "ok", "delete");
    expectOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name }))), "not-found", "get after delete");
    expectOutcome(...(await onBoth(ca, cb, (c) => c.count())), "not-found", "count on the deleted handle");
    expectOutcome(...(await onBoth(ca, cb, (c) => c.add({ ids: ["b"], embeddings: [[1, 2]] }))), "not-found", "add on the deleted handle");
    expectOutcome(...(await onBoth(ca, cb, (c) => c.get({}))), "not-found", "get on the deleted handle");
    // The name can be used again, for a new, empty collection.
    const [a2, b2] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
    sameCollections(a2, b2, "create again");
    const [na, nb] = bothOk(a2, b2, "create again");
    await compareContents(na, nb, "the new collection");
  });

  // Non-integer coordinates and every space, including the legacy metadata key and the default.
  const SPACES: [string, Record<string, unknown>][] = [
    ["default (l2)", {}],
    ["l2", { configuration: { hnsw: { space: "l2" } } }],
    ["cosine", { configuration: { hnsw: { space: "cosine" } } }],
    ["ip", { configuration: { hnsw: { space: "ip" } } }],
    ["legacy cosine", { metadata: { "hnsw:space": "cosine" } }],
    ["legacy ip", { metadata: { "hnsw:space": "ip" } }],
  ];

  it.each(SPACES)("distances in space %s", async (_label, args) => {
    const { lite, oracle } = pair();
    const [a, b] = bothOk(...(await onBoth(lite, oracle, (c) => c.createCollection({ name: uniqueName("sp"), ...args }))), "create");
    // A fixed pseudo-random set (mulberry32), so that failures replay.
    let seed = 42;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const vec = () => Array.from({ length: 6 }, () => Math.round((rand() * 4 - 2) * 1000) / 1000);
    const ids = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const embeddings = ids.map(vec);
    bothOk(...(await onBoth(a, b, (c) => c.add({ ids, embeddings }))), "add");
    await compareContents(a, b, "contents");
    for (let i = 0; i < 5; i++) {
      const args = { queryEmbeddings: [vec(), vec()], nResults: 7, include: ["distances", "embeddings"] };
      const [qa, qb] = bothOk(...(await onBoth(a, b, (c) => c.query(args))), `query ${i}`);
      await compareQueryResults(qa, qb, a, b, args, `query ${i}`);
    }
    // A query vector that is stored exactly: distance 0 (l2, cosine) or 1 - |v|^2 (ip).
    const [qa, qb] = bothOk(
      ...(await onBoth(a, b, (c) => c.query({ queryEmbeddings: [embeddings[3]], nResults: 1, include: ["distances"] }))),
      "query with a stored vector",
    );
    expect(qa.ids).toEqual(qb.ids);
  });
});
