/**
 * Differential test: numbers through the HTTP API, as a Python or Rust client sends them. Chroma keeps
 * int64 integers exactly and floats as floats (`1.0` stays `1.0`), in record metadata, collection
 * metadata and embeddings, and its filters compare the exact values. The same raw bodies go to
 * `chromalite run` (startServer) and to the real Chroma; the answers are read back exactly
 * (model/numbers.ts: bigint for big integers, WholeFloat for whole floats) and compared. The values
 * must also survive a restart of chromalite's server (they are read back from SQLite).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { parseExactJson, WholeFloat } from "../../src/model/numbers.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { oracleAvailable } from "../helpers/oracle.js";
import { compareGet, onBoth, same, uniqueName, usePair } from "./harness.js";

const oracle = await oracleAvailable();
const SCOPE = "/api/v2/tenants/default_tenant/databases/default_database/collections";

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

async function call(base: string, method: string, pathname: string, body?: string): Promise<Answer> {
  const init: RequestInit = { method, headers: { "content-type": "application/json" } };
  if (body !== undefined) init.body = body;
  const res = await fetch(`${base}${SCOPE}${pathname}`, init);
  const text = await res.text();
  return { status: res.status, body: parseExactJson(text), text };
}

const METADATA = [
  '{"f":1.0,"big":9007199254740993,"i":-9223372036854775808,"max":9223372036854775807,"x":2.5,"e":1e300,"small":5e-324}',
  '{"u":10000000000000000000,"v":1e19,"w":18446744073709551615,"neg":-9007199254740993,"z":0.0,"n":7}',
  '{"arr":[1.5,2],"arr2":[2,1.5],"ai":[1,2],"bigs":[9007199254740993,1],"fl":[1.0,2.0],"mixbig":[9007199254740993,1.5],"bigf":[1e19,2]}',
  '{"s":"9007199254740993","b":true,"f2":100.0,"e2":1.5e3,"neg0":-0.0}',
];

const WHERE = [
  '{"big":9007199254740992}', '{"big":9007199254740993}', '{"big":{"$gt":9007199254740992}}', '{"big":{"$gte":9007199254740994}}',
  '{"big":{"$ne":9007199254740992}}', '{"big":{"$in":[9007199254740992,9007199254740994]}}', '{"big":{"$in":[9007199254740993]}}',
  '{"neg":{"$lt":-9007199254740992}}', '{"neg":-9007199254740992}',
  '{"f":1}', '{"f":1.0}', '{"f2":100}', '{"e2":1500}', '{"n":7.0}',
  '{"i":-9223372036854775808}', '{"i":{"$lt":-9223372036854775807}}', '{"max":9223372036854775807}', '{"max":{"$gt":9223372036854775806}}',
  '{"ai":{"$contains":2}}', '{"bigs":{"$contains":9007199254740993}}', '{"bigs":{"$contains":9007199254740992}}',
  '{"fl":{"$contains":2.0}}', '{"arr":{"$contains":2.0}}', '{"arr":{"$contains":1.5}}',
  // (an integer operand of $contains on a list of floats, or the reverse: see known-differences.test.ts)
  '{"v":1e19}', '{"u":{"$gt":1e18}}', '{"w":{"$gt":1.8e19}}', '{"v":10000000000000000000}', '{"v":{"$in":[10000000000000000000]}}',
  '{"e":{"$gt":1e299}}', '{"z":0}', '{"s":"9007199254740993"}',
];

describe.skipIf(!oracle.ok)(`exact numbers through the server vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-numbers-"));
  let server: RunningServer | undefined;
  let mine = "";
  const ids: [string, string] = ["", ""];
  let name = "";

  const theirs = () => pair().oracleUrl;
  /** The same request to both; the answers read back exactly. */
  async function both(method: string, pathname: (side: 0 | 1) => string, body?: string): Promise<[Answer, Answer]> {
    return [await call(mine, method, pathname(0), body), await call(theirs(), method, pathname(1), body)];
  }

  beforeAll(async () => {
    server = await startServer({ path: dir, host: "127.0.0.1", port: 0 });
    mine = server.url;
    name = uniqueName("num");
    const body = `{"name":"${name}","metadata":${METADATA[0]}}`;
    const [a, b] = [await call(mine, "POST", "", body), await call(theirs(), "POST", "", body)];
    expect([a.status, b.status]).toEqual([200, 200]);
    ids[0] = (a.body as { id: string }).id;
    ids[1] = (b.body as { id: string }).id;
    const add = `{"ids":["r0","r1","r2","r3"],"embeddings":[[1.0,2],[0.5,0],[3,4],[1e2,-0.0]],"metadatas":[${METADATA.join(",")}]}`;
    const [x, y] = await both("POST", (s) => `/${ids[s]}/add`, add);
    expect([x.status, y.status]).toEqual([201, 201]);
  });

  afterAll(async () => {
    await server?.close({ timeoutMs: 5000 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function compareRecords(what: string): Promise<void> {
    const [a, b] = await both("POST", (s) => `/${ids[s]}/get`, '{"include":["metadatas","embeddings"]}');
    expect(a.status, what).toBe(200);
    expect(a.body, `${what}: ${a.text}\nvs ${b.text}`).toEqual(b.body);
  }

  it("record metadata and embeddings read back exactly, with their types", async () => {
    await compareRecords("get");
    const [a] = await both("POST", (s) => `/${ids[s]}/get`, '{"ids":["r0"],"include":["metadatas"]}');
    expect(a.text).toContain('"big":9007199254740993');
    expect(a.text).toContain('"i":-9223372036854775808');
    expect(a.text).toContain('"f":1.0');
    const meta = (a.body as { metadatas: Record<string, unknown>[] }).metadatas[0]!;
    expect(meta.f).toEqual(new WholeFloat(1));
    expect(meta.big).toBe(9007199254740993n);
  });

  it("collection metadata reads back exactly", async () => {
    const [a, b] = await both("GET", () => `/${name}`);
    expect(b.status).toBe(200);
    expect((a.body as { metadata: unknown }).metadata).toEqual((b.body as { metadata: unknown }).metadata);
    expect(a.text).toContain('"big":9007199254740993');
  });

  it.each(WHERE)("where %s", async (where) => {
    const [a, b] = await both("POST", (s) => `/${ids[s]}/get`, `{"where":${where},"include":[]}`);
    expect(a.status, `${a.text} vs ${b.text}`).toBe(b.status);
    if (b.status === 200) expect((a.body as { ids: string[] }).ids).toEqual((b.body as { ids: string[] }).ids);
  });

  it("an update merges into exact values and keeps them", async () => {
    const body = '{"ids":["r0","r1"],"metadatas":[{"added":1.0,"big2":-9223372036854775807},{"n":9007199254740995}]}';
    const [a, b] = await both("POST", (s) => `/${ids[s]}/update`, body);
    expect([a.status, b.status]).toEqual([200, 200]);
    await compareRecords("after update");
    const upsert = '{"ids":["r2","r9"],"embeddings":[[1,1],[2.0,2.0]],"metadatas":[{"fl":[3.0]},{"q":12345678901234567}]}';
    const [c, d] = await both("POST", (s) => `/${ids[s]}/upsert`, upsert);
    expect([c.status, d.status]).toEqual([200, 200]);
    await compareRecords("after upsert");
  });

  it("modify replaces collection metadata exactly", async () => {
    const body = '{"new_metadata":{"m":-9223372036854775807,"g":2.0}}';
    const [a, b] = await both("PUT", (s) => `/${ids[s]}`, body);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [c, d] = await both("GET", () => `/${name}`);
    expect(d.status).toBe(200);
    expect((c.body as { metadata: unknown }).metadata).toEqual((d.body as { metadata: unknown }).metadata);
  });

  it("query distances and embeddings are floats, as Chroma writes them", async () => {
    for (const body of [
      '{"query_embeddings":[[1,2]],"n_results":1,"include":["distances","embeddings","metadatas"]}',
      '{"query_embeddings":[[1,1.9],[100,0]],"n_results":3,"include":["distances","embeddings","metadatas"]}',
    ]) {
      const [a, b] = await both("POST", (s) => `/${ids[s]}/query`, body);
      expect(a.body, `${a.text}\nvs ${b.text}`).toEqual(b.body);
    }
  });

  it("after a restart the values come back the same from storage", async () => {
    await server!.close({ timeoutMs: 5000 });
    server = await startServer({ path: dir, host: "127.0.0.1", port: 0 });
    mine = server.url;
    await compareRecords("after restart");
    const [a] = await both("POST", (s) => `/${ids[s]}/get`, '{"where":{"big":9007199254740992},"include":[]}');
    expect((a.body as { ids: string[] }).ids).toEqual([]);
  });

  it("in process the same folder reads plain numbers: the nearest double, whole floats as numbers", async () => {
    await server!.close({ timeoutMs: 5000 });
    server = undefined;
    const client = new PersistentClient({ path: dir });
    try {
      const [c] = await client.listCollections();
      const got = await c!.get({ ids: ["r0"] });
      expect(got.metadatas[0]).toMatchObject({ f: 1, big: 2 ** 53, i: -(2 ** 63), x: 2.5 });
      expect(typeof got.metadatas[0]!.big).toBe("number");
      // The stored integer is exact, so a filter in process still tells it from its neighbour.
      expect((await c!.get({ where: { big: 2 ** 53 } })).ids).toEqual([]);
      expect(c!.metadata).toEqual({ m: -(2 ** 63), g: 2 });
    } finally {
      await client.close();
      server = await startServer({ path: dir, host: "127.0.0.1", port: 0 });
      mine = server.url;
    }
  });
});

describe.skipIf(!oracle.ok)(`large and whole numbers in process vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();
  const SEED = {
    ids: ["a", "b", "c"],
    embeddings: [[1, 0], [0, 1], [1, 1]],
    metadatas: [
      { big: 2 ** 60, neg: -(2 ** 63), f: 1.5, w: 3, arr: [1.5, 2], huge: 1e19, tiny: 5e-324 },
      { big: 2 ** 60 + 256, neg: -(2 ** 62), f: 2, w: 3.25, arr: [2, 3], huge: 1e300 },
      { big: 2 ** 53, neg: 0, f: -1.5, arr: [7], huge: -1e19 },
    ],
  };

  it("what the official client writes reads back the same from both", async () => {
    const name = uniqueName("numl");
    const [a, b] = [await pair().lite.createCollection({ name }), await pair().oracle.createCollection({ name })];
    await a.add(SEED);
    await b.add(SEED);
    compareGet(await a.get({ include: ["metadatas"] }), await b.get({ include: ["metadatas"] }), "get");
    const wheres = [
      { big: 2 ** 60 }, { big: { $gt: 2 ** 60 } }, { big: { $in: [2 ** 53, 2 ** 60 + 256] } }, { neg: { $lt: -(2 ** 62) } },
      { neg: { $lte: -(2 ** 62) } }, { f: { $gt: 1 } }, { w: 3 }, { arr: { $contains: 1.5 } }, { arr: { $contains: 7 } },
      { huge: { $gt: 1e18 } }, { huge: { $lt: -1e18 } }, { tiny: { $gt: 0 } },
    ];
    for (const where of wheres) {
      const [x, y] = await onBoth(a, b, (c) => c.get({ where, include: [] }));
      if (!x.ok || !y.ok) throw new Error(`where ${JSON.stringify(where)}: ${JSON.stringify([x, y])}`);
      same((x.value).ids, (y.value).ids, `where ${JSON.stringify(where)}`);
    }
  });
});
