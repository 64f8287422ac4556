/**
 * Differential test: strings holding a lone surrogate (half a UTF-16 pair, no UTF-8 form) in every
 * place a string goes. Chroma's server refuses the request (400, "Failed to parse the request body as
 * JSON"); chromalite must refuse it too, in process (InvalidArgumentError) and through its server
 * (the same 400), and write nothing. Paired surrogates (an emoji) are ordinary text on all sides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, PersistentClient } from "../../src/index.js";
import { oracleAvailable } from "../helpers/oracle.js";
import { request, startChromalite, type ChromaliteTarget } from "../server/helpers.js";
import { compareContents, expectOutcome, onBoth, uniqueName, usePair, type LooseClient, type LooseCollection } from "./harness.js";

const oracle = await oracleAvailable();

const LONE = ["\ud800", "a\ud83db", "\udc00z"];
const SEED = { ids: ["a", "b"], embeddings: [[1, 0], [0, 1]], documents: ["one", "two 😀"], metadatas: [{ k: "v", t: ["x"] }, { n: 1 }] };

type Write = (c: LooseCollection, s: string) => Promise<unknown>;
const WRITES: [string, Write][] = [
  ["add: id", (c, s) => c.add({ ids: [s], embeddings: [[1, 1]] })],
  ["add: document", (c, s) => c.add({ ids: ["x"], embeddings: [[1, 1]], documents: [s] })],
  ["add: uri", (c, s) => c.add({ ids: ["x"], embeddings: [[1, 1]], uris: [s] })],
  ["add: metadata key", (c, s) => c.add({ ids: ["x"], embeddings: [[1, 1]], metadatas: [{ [s]: 1 }] })],
  ["add: metadata value", (c, s) => c.add({ ids: ["x"], embeddings: [[1, 1]], metadatas: [{ k: s }] })],
  ["add: metadata array element", (c, s) => c.add({ ids: ["x"], embeddings: [[1, 1]], metadatas: [{ k: ["ok", s] }] })],
  ["add: second record of a batch", (c, s) => c.add({ ids: ["x", "y"], embeddings: [[1, 1], [2, 2]], documents: ["fine", s] })],
  ["upsert: document of an existing record", (c, s) => c.upsert({ ids: ["a"], embeddings: [[1, 1]], documents: [s] })],
  ["update: metadata value", (c, s) => c.update({ ids: ["a"], metadatas: [{ k: s }] })],
  ["update: id", (c, s) => c.update({ ids: [s], documents: ["d"] })],
  ["delete: id", (c, s) => c.delete({ ids: [s] })],
];
const READS: [string, Write][] = [
  ["get: where value", (c, s) => c.get({ where: { k: s } })],
  ["get: where $in", (c, s) => c.get({ where: { k: { $in: ["v", s] } } })],
  ["get: where key", (c, s) => c.get({ where: { [s]: "v" } })],
  ["get: whereDocument $contains", (c, s) => c.get({ whereDocument: { $contains: s } })],
  ["get: whereDocument $regex", (c, s) => c.get({ whereDocument: { $regex: s } })],
  ["get: ids", (c, s) => c.get({ ids: [s] })],
  ["query: where", (c, s) => c.query({ queryEmbeddings: [[1, 0]], nResults: 1, where: { k: { $ne: s } } })],
];

describe.skipIf(!oracle.ok)(`lone surrogates vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  async function fresh(): Promise<[LooseCollection, LooseCollection]> {
    const name = uniqueName("sur");
    const a = await pair().lite.createCollection({ name });
    const b = await pair().oracle.createCollection({ name });
    await a.add(SEED);
    await b.add(SEED);
    return [a, b];
  }

  it.each(WRITES.flatMap(([what, fn]) => LONE.map((s) => [`${what} ${JSON.stringify(s)}`, fn, s] as const)))(
    "%s: refused, nothing written",
    async (what, fn, s) => {
      const [a, b] = await fresh();
      const [mine, theirs] = await onBoth(a, b, (c) => fn(c, s));
      expectOutcome(mine, theirs, "invalid", what);
      await compareContents(a, b, `${what}: afterwards`);
    },
  );

  it.each(READS)("%s: refused", async (what, fn) => {
    const [a, b] = await fresh();
    const [mine, theirs] = await onBoth(a, b, (c) => fn(c, "\ud800"));
    expectOutcome(mine, theirs, "invalid", what);
  });

  it.each([
    ["collection metadata value", (c: LooseClient, s: string) => c.createCollection({ name: uniqueName("surc"), metadata: { k: s } })],
    ["collection metadata key", (c: LooseClient, s: string) => c.createCollection({ name: uniqueName("surc"), metadata: { [s]: 1 } })],
    ["collection name", (c: LooseClient, s: string) => c.createCollection({ name: `abc${s}` })],
  ])("%s: refused, no collection created", async (what, fn) => {
    const p = pair();
    const before = [await p.lite.countCollections(), await p.oracle.countCollections()];
    const [mine, theirs] = await onBoth(p.lite, p.oracle, (c) => fn(c, "\ud800"));
    expectOutcome(mine, theirs, "invalid", what);
    expect([await p.lite.countCollections(), await p.oracle.countCollections()]).toEqual(before);
  });

  it("the error in process is an InvalidArgumentError naming the field", async () => {
    const [a] = await fresh();
    const err = await a.add({ ids: ["x", "y"], embeddings: [[1, 1], [2, 2]], documents: ["fine", "a\ud83db"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain("documents[1]");
  });

  it("a tenant or database name in process: refused before anything is created", async () => {
    const dir = pair().liteDir;
    for (const opts of [{ tenant: "t\ud800" }, { database: "d\udc00b" }]) {
      expect(() => new PersistentClient({ path: dir, ...opts })).toThrow(InvalidArgumentError);
    }
    const lite = pair().liteClient;
    await expect(lite.createTenant({ name: "t\ud800" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lite.createDatabase({ name: "d\ud800" })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("paired surrogates are text like any other, on both", async () => {
    const [a, b] = await fresh();
    const args = { ids: ["😀"], embeddings: [[1, 1]], documents: ["a😀b"], metadatas: [{ "k😀": "v😀" }] };
    const [mine, theirs] = await onBoth(a, b, (c) => c.add(args));
    expectOutcome(mine, theirs, "ok", "add with emoji");
    await compareContents(a, b, "after the emoji add");
  });

  describe("through the server", () => {
    let target: ChromaliteTarget | undefined;
    beforeAll(async () => {
      target = await startChromalite();
    });
    afterAll(async () => {
      await target?.close();
    });

    /** The same raw body to chromalite's server and to Chroma's. */
    async function both(pathname: string, body: string): Promise<[number, string, number, string]> {
      const scope = "/api/v2/tenants/default_tenant/databases/default_database/collections";
      const mine = await request(target!.url, "POST", `${scope}${pathname}`, body);
      const theirs = await request(pair().oracleUrl, "POST", `${scope}${pathname}`, body);
      return [mine.status, mine.text, theirs.status, theirs.text];
    }

    it.each([
      ["an id", '{"ids":["\\ud800"],"embeddings":[[1,1]]}'],
      ["a document", '{"ids":["x"],"embeddings":[[1,1]],"documents":["a\\ud83db"]}'],
      ["a metadata key", '{"ids":["x"],"embeddings":[[1,1]],"metadatas":[{"k\\udc00":1}]}'],
      ["a uri", '{"ids":["x"],"embeddings":[[1,1]],"uris":["\\udfff"]}'],
    ])("add with %s: 400 as on Chroma, nothing written", async (_what, body) => {
      const name = uniqueName("surs");
      const scope = "/api/v2/tenants/default_tenant/databases/default_database/collections";
      const mineId = ((await request(target!.url, "POST", scope, { name })).body as { id: string }).id;
      const theirsId = ((await request(pair().oracleUrl, "POST", scope, { name })).body as { id: string }).id;
      const mine = await request(target!.url, "POST", `${scope}/${mineId}/add`, body);
      const theirs = await request(pair().oracleUrl, "POST", `${scope}/${theirsId}/add`, body);
      expect([mine.status, theirs.status]).toEqual([400, 400]);
      for (const r of [mine, theirs]) expect((r.body as { message: string }).message).toMatch(/^Failed to parse the request body as JSON: /);
      const count = await request(target!.url, "GET", `${scope}/${mineId}/count`);
      expect(count.body).toBe(0);
    });

    it("a collection name or metadata: 400 on both", async () => {
      for (const body of ['{"name":"abc\\ud800"}', `{"name":"${uniqueName("surm")}","metadata":{"k":"\\ud800"}}`]) {
        const [ms, , ts] = await both("", body);
        expect([ms, ts]).toEqual([400, 400]);
      }
    });

    it.each([
      "/api/v2/tenants/%ED%A0%80",
      "/api/v2/tenants/default_tenant/databases/%ED%A0%80/collections",
      "/api/v2/tenants/default_tenant/databases/default_database/collections/abc%ED%B0%80",
    ])("a path segment that is an encoded surrogate (%s): 400 on both", async (pathname) => {
      const mine = await request(target!.url, "GET", pathname);
      const theirs = await request(pair().oracleUrl, "GET", pathname);
      expect([mine.status, theirs.status]).toEqual([400, 400]);
      expect((mine.body as { message: string }).message).toMatch(/^Invalid URL: Invalid UTF-8 in `/);
    });

    it("an escaped emoji (a pair) is accepted", async () => {
      const [ms, , ts] = await both("", `{"name":"${uniqueName("sure")}","metadata":{"k":"\\ud83d\\ude00"}}`);
      expect([ms, ts]).toEqual([200, 200]);
    });
  });
});
