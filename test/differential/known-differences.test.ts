/**
 * The differences between chromalite and the real Chroma that the other differential suites step
 * around (listed at the top of ./harness.ts), pinned down: each test shows what chromalite does and
 * what Chroma (chromadb 3.5.0's client and server) does. If one of these fails, a side changed:
 * update the list in harness.ts with it.
 */
import { describe, expect, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import { capture, uniqueName, usePair, type LooseCollection, type Outcome } from "./harness.js";

const oracle = await oracleAvailable();

const failedAs = (o: Outcome<unknown>) => (o.ok ? "ok" : o.kind);

describe.skipIf(!oracle.ok)(`known differences from Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  /** The same fresh collection (dimension 2, three records) on both sides. */
  async function both(args: Record<string, unknown> = {}): Promise<{ lite: LooseCollection; chroma: LooseCollection }> {
    const p = pair();
    const name = uniqueName("kd");
    const lite = await p.lite.createCollection({ name, ...args });
    const chroma = await p.oracle.createCollection({ name, ...args });
    const seed = {
      ids: ["a", "b", "c"],
      embeddings: [[1, 0], [0, 1], [1, 1]],
      documents: ["apple pie", "Apple", "a.b*c"],
      metadatas: [{ n: 1, s: "a" }, { n: 2, s: "b" }, { n: 3 }],
    };
    await lite.add(seed);
    await chroma.add(seed);
    return { lite, chroma };
  }

  // ------------------------------------------------------------------ deliberate

  it("delete returns the number deleted; Chroma the number of ids asked for", async () => {
    const { lite, chroma } = await both();
    const args = { ids: ["a", "missing-1", "missing-2"] };
    expect(await lite.delete(args)).toEqual({ deleted: 1 });
    expect(await chroma.delete(args)).toEqual({ deleted: 3 });
  });

  it("query with a missing id in ids: ignored; Chroma fails with a 500", async () => {
    const { lite, chroma } = await both();
    const args = { queryEmbeddings: [[1, 0]], ids: ["a", "missing"], nResults: 5 };
    expect((await lite.query(args)).ids).toEqual([["a"]]);
    expect(failedAs(await capture("oracle", () => chroma.query(args)))).toBe("server");
  });

  it("renaming onto an existing name: UniqueConstraintError; Chroma fails with a 500", async () => {
    const p = pair();
    const [x, y] = [uniqueName("kdx"), uniqueName("kdy")];
    const sides = [
      ["lite", await p.lite.createCollection({ name: x }), await p.lite.createCollection({ name: y })],
      ["oracle", await p.oracle.createCollection({ name: x }), await p.oracle.createCollection({ name: y })],
    ] as const;
    const outcomes = [];
    for (const [side, first] of sides) outcomes.push(failedAs(await capture(side, () => first.modify({ name: y }))));
    expect(outcomes).toEqual(["unique", "server"]);
  });

  it("an array in collection metadata is accepted (it crashes Chroma's server: not sent there)", async () => {
    const c = await pair().lite.createCollection({ name: uniqueName("kda"), metadata: { tags: ["a", "b"] } });
    expect(c.metadata).toEqual({ tags: ["a", "b"] });
  });

  // ------------------------------------------------------------------ open

  it.each([
    ["add", { ids: ["x"], embeddings: [[5, 5]], metadatas: [{ "chroma:document": "from metadata" }] }],
    ["add, chroma:uri", { ids: ["x"], embeddings: [[5, 5]], metadatas: [{ "chroma:uri": "u", k: 1 }] }],
    ["update", { ids: ["a"], metadatas: [{ "chroma:document": "replaced" }] }],
    ["upsert, another chroma: key", { ids: ["a"], embeddings: [[5, 5]], metadatas: [{ "chroma:foo": 1 }] }],
  ])("%s with a chroma:* metadata key is refused; Chroma takes it as the document / uri (or drops it)", async (label, args) => {
    const { lite, chroma } = await both();
    const write = (c: LooseCollection) => (label.startsWith("update") ? c.update(args) : label.startsWith("upsert") ? c.upsert(args) : c.add(args));
    expect(failedAs(await capture("lite", () => write(lite)))).toBe("invalid");
    expect(failedAs(await capture("oracle", () => write(chroma)))).toBe("ok");
    if (label === "update") expect((await chroma.get({ ids: ["a"] })).documents).toEqual(["replaced"]);
  });

  it("a database in a tenant that does not exist is refused; Chroma creates it", async () => {
    const p = pair();
    const tenant = `missing-${Math.floor(Math.random() * 1e9)}`;
    const lite = p.liteClient;
    expect(failedAs(await capture("lite", () => lite.createDatabase({ name: "dbx", tenant })))).toBe("not-found");
    const res = await fetch(`${p.oracleUrl}/api/v2/tenants/${tenant}/databases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "dbx" }),
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${p.oracleUrl}/api/v2/tenants/${tenant}`)).status).toBe(404); // the tenant is still missing
  });

  it("update with a null metadata value deletes the key; the official client drops the null", async () => {
    const { lite, chroma } = await both();
    const args = { ids: ["a"], metadatas: [{ s: null }] };
    await lite.update(args);
    await chroma.update(args);
    expect((await lite.get({ ids: ["a"] })).metadatas).toEqual([{ n: 1 }]);
    expect((await chroma.get({ ids: ["a"] })).metadatas).toEqual([{ n: 1, s: "a" }]);
  });

  it.each([
    ["get, ids []", (c: LooseCollection) => c.get({ ids: [] })],
    ["get, duplicate ids", (c: LooseCollection) => c.get({ ids: ["a", "a"] })],
    ["query, ids []", (c: LooseCollection) => c.query({ queryEmbeddings: [[1, 0]], ids: [] })],
    ["query, duplicate ids", (c: LooseCollection) => c.query({ queryEmbeddings: [[1, 0]], ids: ["a", "a"] })],
    ["query, no query embeddings", (c: LooseCollection) => c.query({ queryEmbeddings: [] })],
    ["delete, duplicate ids", (c: LooseCollection) => c.delete({ ids: ["a", "a"] })],
    ["add, a null document", (c: LooseCollection) => c.add({ ids: ["x", "y"], embeddings: [[1, 2], [2, 1]], documents: [null, "y"] })],
    ["update, a null document", (c: LooseCollection) => c.update({ ids: ["a"], embeddings: [[1, 1]], documents: [null] })],
    ["where, $and of one clause", (c: LooseCollection) => c.get({ where: { $and: [{ n: 1 }] } })],
    ["where, $or of one clause", (c: LooseCollection) => c.get({ where: { $or: [{ n: 1 }] } })],
    ["whereDocument, $and of one clause", (c: LooseCollection) => c.get({ whereDocument: { $and: [{ $contains: "a" }] } })],
  ])("%s: accepted, as by Chroma's server; the official client rejects it", async (_label, action) => {
    const { lite, chroma } = await both();
    expect(failedAs(await capture("lite", () => action(lite)))).toBe("ok");
    expect(failedAs(await capture("oracle", () => action(chroma)))).toBe("invalid");
  });

  it("an update that touches nothing does not fix the dimension; on Chroma it does", async () => {
    const p = pair();
    const name = uniqueName("kdd");
    const [lite, chroma] = [await p.lite.createCollection({ name }), await p.oracle.createCollection({ name })];
    for (const c of [lite, chroma]) await c.update({ ids: ["nobody"], embeddings: [[1, 2]] });
    const add = { ids: ["x"], embeddings: [[1, 2, 3]] };
    expect(failedAs(await capture("lite", () => lite.add(add)))).toBe("ok");
    expect(failedAs(await capture("oracle", () => chroma.add(add)))).toBe("invalid");
  });

  it("$in with an integer before a fraction is accepted; Chroma rejects it (but not [2.5, 1])", async () => {
    const { lite, chroma } = await both();
    expect((await lite.get({ where: { n: { $in: [1, 2.5] } } })).ids).toEqual(["a"]);
    expect(failedAs(await capture("oracle", () => chroma.get({ where: { n: { $in: [1, 2.5] } } })))).toBe("invalid");
    expect(failedAs(await capture("oracle", () => chroma.get({ where: { n: { $in: [2.5, 1] } } })))).toBe("ok");
  });

  it("embeddings must be numbers; the official client converts strings", async () => {
    const { lite, chroma } = await both();
    const args = { ids: ["x"], embeddings: [[1, "2"]] };
    expect(failedAs(await capture("lite", () => lite.add(args)))).toBe("invalid");
    expect(failedAs(await capture("oracle", () => chroma.add(args)))).toBe("ok");
  });

  it("hnsw ef_search / ef_construction 0 are refused; Chroma accepts them", async () => {
    const p = pair();
    for (const hnsw of [{ ef_search: 0 }, { ef_construction: 0 }]) {
      const args = { name: uniqueName("kdh"), configuration: { hnsw } };
      expect(failedAs(await capture("lite", () => p.lite.createCollection(args)))).toBe("invalid");
      expect(failedAs(await capture("oracle", () => p.oracle.createCollection(args)))).toBe("ok");
    }
  });

  // (With max_neighbors 1 Chroma's index then answers wrongly: nResults 2 for [1, 0] over [1, 0],
  // [0, 1], [1, 1] gave just ["b"]. With 0 it drops the connection on the first add.)
  it("hnsw max_neighbors 1 is refused; Chroma accepts it", async () => {
    const p = pair();
    const args = { name: uniqueName("kdm"), configuration: { hnsw: { max_neighbors: 1 } } };
    expect(failedAs(await capture("lite", () => p.lite.createCollection(args)))).toBe("invalid");
    expect(failedAs(await capture("oracle", () => p.oracle.createCollection(args)))).toBe("ok");
  });

  // Regular expressions: RE2 (chromalite) and Rust's regex crate (Chroma) differ at the edges.
  it.each([
    ["\\Qa.b\\E", "ok", "invalid"],
    ["\\u00e9", "invalid", "ok"],
    ["x{1001}", "invalid", "ok"],
    ["a++", "invalid", "ok"],
    ["a+*", "invalid", "ok"],
  ])("$regex %j: chromalite %s, Chroma %s", async (pattern, mine, theirs) => {
    const { lite, chroma } = await both();
    const args = { whereDocument: { $regex: pattern } };
    expect(failedAs(await capture("lite", () => lite.get(args)))).toBe(mine);
    expect(failedAs(await capture("oracle", () => chroma.get(args)))).toBe(theirs);
  });

  // ------------------------------------------------------------------ Chroma bugs

  it("an integer compared with a fraction: compared as numbers; Chroma truncates the fraction", async () => {
    const { lite, chroma } = await both();
    const where = { n: { $eq: 1.5 } };
    expect((await lite.get({ where })).ids).toEqual([]);
    expect((await chroma.get({ where })).ids).toEqual(["a"]);
    const lt = { n: { $lt: 1.5 } };
    expect((await lite.get({ where: lt })).ids).toEqual(["a"]);
    expect((await chroma.get({ where: lt })).ids).toEqual([]);
  });

  it("nResults 0 after a delete: empty lists; Chroma drops the connection", async () => {
    const { lite, chroma } = await both();
    await lite.delete({ ids: ["c"] });
    await chroma.delete({ ids: ["c"] });
    const args = { queryEmbeddings: [[1, 0]], nResults: 0 };
    expect((await lite.query(args)).ids).toEqual([[]]);
    expect(failedAs(await capture("oracle", () => chroma.query(args)))).toBe("server");
  });

  // Last in the file: it leaves leaked rows behind on the oracle.
  it("a deleted collection's array metadata stays gone; on Chroma it leaks into the next records", async () => {
    const p = pair();
    const seed = { ids: ["x"], embeddings: [[1, 0]], metadatas: [{ tags: ["leaked"] }] };
    const next = { ids: ["y"], embeddings: [[0, 1]], metadatas: [{ k: 1 }] };
    const results: unknown[] = [];
    for (const client of [p.lite, p.oracle]) {
      const first = uniqueName("kdl");
      const c = await client.createCollection({ name: first });
      await c.add(seed);
      await client.deleteCollection({ name: first });
      const d = await client.createCollection({ name: uniqueName("kdl") });
      await d.add(next);
      results.push((await d.get({})).metadatas);
    }
    expect(results).toEqual([[{ k: 1 }], [{ k: 1, tags: ["leaked"] }]]);
  });
});
