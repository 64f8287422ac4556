/**
 * Differential test: collection-level operations (names, metadata, configuration and distance
 * spaces, get-or-create, modify, list, count, delete) on chromalite and on the real Chroma server.
 * Deliberate and open differences are listed at the top of ./harness.ts.
 */
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import {
  compareContents,
  compareOutcome,
  compareQueryResults,
  onBoth,
  same,
  uniqueName,
  usePair,
  type LooseCollection,
  type Outcome,
} from "./harness.js";

const oracle = await oracleAvailable();

const NAMES: unknown[] = [
  "ab", "a", "", "bad name", "bad/name", "-abc", "abc-", "_abc", "abc_", "a..b", "192.168.1.1", "ÄÖÜname", "abc!",
  "x".repeat(513), 123, null, "ABC", "a_b-c.d", "a.b", "abc", "x".repeat(512), "1.2.3", "999.1.1.1", "a-.b", "0ab9",
];

/** The part of a collection both clients describe alike. */
function describeCollection(c: LooseCollection & { configuration?: { hnsw?: { space?: string } | null } }) {
  return { name: c.name, metadata: c.metadata ?? null, space: c.configuration?.hnsw?.space ?? "l2" };
}

function sameCollections(a: Outcome<LooseCollection>, b: Outcome<LooseCollection>, what: string): void {
  compareOutcome(a, b, what);
  if (a.ok && b.ok) same(describeCollection(a.value), describeCollection(b.value), what);
}

describe.skipIf(!oracle.ok)(`collections vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  it.each(NAMES.map((n) => [typeof n === "string" && n.length > 20 ? `${n.slice(0, 8)}… (${n.length})` : JSON.stringify(n), n]))(
    "create with name %s",
    async (_label, name) => {
      const { lite, oracle } = pair();
      const [a, b] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
      sameCollections(a, b, `create ${JSON.stringify(name)}`);
      if (a.ok) {
        // The name is taken now, on both.
        const [a2, b2] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
        compareOutcome(a2, b2, `create ${JSON.stringify(name)} again`);
        const [a3, b3] = await onBoth(lite, oracle, (c) => c.getCollection({ name }));
        sameCollections(a3, b3, `get ${JSON.stringify(name)}`);
      }
    },
  );

  const CREATE_ARGS: [string, Record<string, unknown>][] = [
    ["metadata of each scalar type", { metadata: { s: "x", i: 1, f: 1.5, b: true, neg: -2 } }],
    ["empty metadata", { metadata: {} }],
    ["metadata with a null value", { metadata: { k: 1, n: null } }],
    ["nested metadata", { metadata: { o: { p: 1 } } }],
    ["metadata key with $", { metadata: { $k: 1 } }],
    ["space l2", { configuration: { hnsw: { space: "l2" } } }],
    ["space cosine", { configuration: { hnsw: { space: "cosine" } } }],
    ["space ip", { configuration: { hnsw: { space: "ip" } } }],
    ["unknown space", { configuration: { hnsw: { space: "manhattan" } } }],
    ["legacy hnsw:space metadata", { metadata: { "hnsw:space": "cosine", owner: "me" } }],
    ["legacy unknown hnsw:space", { metadata: { "hnsw:space": "manhattan" } }],
    ["hnsw parameters", { configuration: { hnsw: { ef_construction: 200, ef_search: 50, max_neighbors: 32 } } }],
    ["negative ef_construction", { configuration: { hnsw: { ef_construction: -1 } } }],
    ["fractional ef_search", { configuration: { hnsw: { ef_search: 1.5 } } }],
    ["unknown hnsw key", { configuration: { hnsw: { colour: "red" } } }],
  ];

  it.each(CREATE_ARGS)("create with %s", async (label, args) => {
    const { lite, oracle } = pair();
    const name = uniqueName("cc");
    const [a, b] = await onBoth(lite, oracle, (c) => c.createCollection({ name, ...args }));
    sameCollections(a, b, `create with ${label}`);
    if (a.ok && b.ok) {
      const [a2, b2] = await onBoth(lite, oracle, (c) => c.getCollection({ name }));
      sameCollections(a2, b2, `get after create with ${label}`);
    }
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
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name: "does-not-exist" }))), "get");
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.deleteCollection({ name: "does-not-exist" }))), "delete");
  });

  it("modify: rename, metadata, configuration", async () => {
    const { lite, oracle } = pair();
    const name = uniqueName("mod");
    const [ra, rb] = await onBoth(lite, oracle, (c) => c.createCollection({ name, metadata: { m1: 1, m2: "two" } }));
    if (!ra.ok || !rb.ok) throw new Error("create failed");
    const [a, b] = [ra.value, rb.value];
    let current = name;
    const step = async (what: string, args: Record<string, unknown>) => {
      const [ma, mb] = await onBoth(a, b, (c) => c.modify(args));
      compareOutcome(ma, mb, what);
      // Compared through a fresh get: the official client changes its handle before the request
      // (a failed rename still renames it) and keeps null metadata values in it.
      if (ma.ok && typeof args.name === "string") current = args.name;
      if (ma.ok) same(a.name, current, `${what}: the name of the handle`);
      const [ga, gb] = await onBoth(lite, oracle, (c) => c.getCollection({ name: current }));
      sameCollections(ga, gb, `${what}: get by name`);
    };
    await step("rename", { name: `${name}-renamed` });
    await step("rename to the same name", { name: `${name}-renamed` });
    await step("rename to an invalid name", { name: "a" });
    await step("replace metadata", { metadata: { m3: 3 } });
    await step("metadata with a null value", { metadata: { m4: 4, gone: null } });
    await step("empty metadata", { metadata: {} });
    await step("ef_search", { configuration: { hnsw: { ef_search: 77 } } });
    await step("change the space", { configuration: { hnsw: { space: "cosine" } } });
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name }))), "the old name is gone");
  });

  it("list and count agree", async () => {
    const { lite, oracle } = pair();
    const count = async () => {
      const [ca, cb] = await onBoth(lite, oracle, (c) => c.countCollections());
      if (!ca.ok || !cb.ok) throw new Error("countCollections failed");
      return [ca.value, cb.value];
    };
    const before = await count();
    for (const n of ["lst-one", "lst-two", "lst-three"]) await onBoth(lite, oracle, (c) => c.createCollection({ name: n }));
    const after = await count();
    same(after[0]! - before[0]!, after[1]! - before[1]!, "collections added to the count");
    const [la, lb] = await onBoth(lite, oracle, (c) => c.listCollections({ limit: 1000 }));
    compareOutcome(la, lb, "list");
    // Chroma lists in no particular order (chromalite: creation order), so compare the sets.
    const mine = (list: LooseCollection[]) => list.map((c) => c.name).filter((n) => n.startsWith("lst-")).sort();
    if (la.ok && lb.ok) same(mine(la.value), mine(lb.value), "list");
    if (la.ok && lb.ok) same(la.value.length, after[0], "list length is the count (chromalite)");
    if (la.ok && lb.ok) same(lb.value.length, after[1], "list length is the count (Chroma)");
    const [pa, pb] = await onBoth(lite, oracle, (c) => c.listCollections({ limit: 2, offset: 1 }));
    compareOutcome(pa, pb, "list page");
    if (pa.ok && pb.ok) same(pa.value.length, pb.value.length, "list page size");
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.listCollections({ limit: -1 }))), "negative limit");
  });

  it("a deleted collection is gone, and its handle fails", async () => {
    const { lite, oracle } = pair();
    const name = uniqueName("del");
    const [ra, rb] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
    if (!ra.ok || !rb.ok) throw new Error("create failed");
    // Scalar metadata only: array values would leak on Chroma (see "Chroma bugs avoided").
    await onBoth(ra.value, rb.value, (c) => c.add({ ids: ["a"], embeddings: [[1, 2]], metadatas: [{ k: 1 }] }));
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.deleteCollection({ name }))), "delete");
    compareOutcome(...(await onBoth(lite, oracle, (c) => c.getCollection({ name }))), "get after delete");
    compareOutcome(...(await onBoth(ra.value, rb.value, (c) => c.count())), "count on the deleted handle");
    compareOutcome(...(await onBoth(ra.value, rb.value, (c) => c.add({ ids: ["b"], embeddings: [[1, 2]] }))), "add on the deleted handle");
    compareOutcome(...(await onBoth(ra.value, rb.value, (c) => c.get({}))), "get on the deleted handle");
    // The name can be used again, for a new, empty collection.
    const [a2, b2] = await onBoth(lite, oracle, (c) => c.createCollection({ name }));
    sameCollections(a2, b2, "create again");
    if (a2.ok && b2.ok) await compareContents(a2.value, b2.value, "the new collection");
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
    const [ra, rb] = await onBoth(lite, oracle, (c) => c.createCollection({ name: uniqueName("sp"), ...args }));
    if (!ra.ok || !rb.ok) throw new Error("create failed");
    const [a, b] = [ra.value, rb.value];
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
    compareOutcome(...(await onBoth(a, b, (c) => c.add({ ids, embeddings }))), "add");
    await compareContents(a, b, "contents");
    for (let i = 0; i < 5; i++) {
      const args = { queryEmbeddings: [vec(), vec()], nResults: 7, include: ["distances", "embeddings"] };
      const [qa, qb] = await onBoth(a, b, (c) => c.query(args));
      compareOutcome(qa, qb, `query ${i}`);
      if (qa.ok && qb.ok) await compareQueryResults(qa.value, qb.value, a, b, args, `query ${i}`);
    }
    // A query vector that is stored exactly: distance 0 (l2, cosine) or 1 - |v|^2 (ip).
    const [qa, qb] = await onBoth(a, b, (c) => c.query({ queryEmbeddings: [embeddings[3]], nResults: 1, include: ["distances"] }));
    if (qa.ok && qb.ok) expect(qa.value.ids).toEqual(qb.value.ids);
  });
});
