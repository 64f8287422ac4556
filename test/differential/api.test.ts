/**
 * Differential test of the API surface (tenants and databases, collection metadata and
 * configuration, argument ranges, default `include`, metadata values the official client drops,
 * `chroma:*` keys, uri-only records, the old `/api/v1`), three ways: chromalite in process
 * (`PersistentClient`), chromalite's server (`startServer`, reached through the official client or
 * raw HTTP) and the real Chroma. Every case must come out alike on all three: the same outcome class,
 * and when it succeeds, the same result and the same contents afterwards.
 */
import { AdminClient, ChromaClient } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { oracleAvailable, startOracle, type OracleServer } from "../helpers/oracle.js";
import { startChromalite, type ChromaliteTarget } from "../server/helpers.js";
import {
  capture,
  compareContents,
  compareGet,
  compareOutcome,
  openPair,
  same,
  uniqueName,
  type GetLike,
  type LooseClient,
  type LooseCollection,
  type Outcome,
  type Pair,
} from "./harness.js";

const oracle = await oracleAvailable();

type Side = "lite" | "served" | "oracle";
const SIDES: Side[] = ["lite", "served", "oracle"];

/** What tenants and databases both clients offer (the official one through its AdminClient). */
interface Admin {
  createTenant(args: { name: string }): Promise<unknown>;
  getTenant(args: { name: string }): Promise<unknown>;
  createDatabase(args: { name: string; tenant: string }): Promise<unknown>;
  listDatabases(args: { tenant: string }): Promise<{ name: string }[]>;
}

interface Trio {
  pair: Pair;
  served: ChromaliteTarget;
  clients: Record<Side, LooseClient>;
  admins: Record<Side, Admin>;
  urls: { served: string; oracle: string };
  /** A client of each side on a tenant and database (closed at the end of the file). */
  scoped(tenant: string, database: string): Record<Side, LooseClient>;
}

function officialLoose(host: string, port: number, tenant?: string, database?: string): LooseClient {
  const c = new ChromaClient({ host, port, ...(tenant ? { tenant } : {}), ...(database ? { database } : {}) });
  const loose = (x: unknown) => x as LooseCollection;
  return {
    createCollection: async (a: object) => loose(await c.createCollection({ embeddingFunction: null, ...a } as never)),
    getOrCreateCollection: async (a: object) => loose(await c.getOrCreateCollection({ embeddingFunction: null, ...a } as never)),
    getCollection: async (a: object) => loose(await c.getCollection({ embeddingFunction: null, ...a } as never)),
    deleteCollection: (a: { name: string }) => c.deleteCollection(a),
    listCollections: async (a?: object) => (await c.listCollections(a as never)).map(loose),
    countCollections: () => c.countCollections(),
  };
}

function useTrio(): () => Trio {
  let server: OracleServer | undefined;
  let pair: Pair | undefined;
  let served: ChromaliteTarget | undefined;
  let trio: Trio | undefined;
  const extra: PersistentClient[] = [];
  beforeAll(async () => {
    server = await startOracle({ allowReset: true });
    pair = openPair(server);
    served = await startChromalite();
    const o = server;
    const s = served;
    const p = pair;
    const adminOf = (host: string, port: number): Admin => {
      const a = new AdminClient({ host, port, ssl: false });
      return {
        createTenant: (x) => a.createTenant(x),
        getTenant: (x) => a.getTenant(x),
        createDatabase: (x) => a.createDatabase(x),
        listDatabases: (x) => a.listDatabases(x),
      };
    };
    trio = {
      pair: p,
      served: s,
      clients: { lite: p.lite, served: officialLoose(s.host, s.port), oracle: p.oracle },
      admins: { lite: p.liteClient, served: adminOf(s.host, s.port), oracle: adminOf(o.host, o.port) },
      urls: { served: s.url, oracle: o.url },
      scoped(tenant, database) {
        const lite = new PersistentClient({ path: p.liteDir, tenant, database });
        extra.push(lite);
        return {
          lite: lite,
          served: officialLoose(s.host, s.port, tenant, database),
          oracle: officialLoose(o.host, o.port, tenant, database),
        };
      },
    };
  });
  afterAll(async () => {
    try {
      for (const c of extra) await c.close();
      await pair?.close();
      await served?.close();
    } finally {
      await server?.stop();
    }
  });
  return () => {
    if (!trio) throw new Error("the oracle or the server did not start (see beforeAll)");
    return trio;
  };
}

/** Runs `fn` on each side in turn; the outcomes must agree with Chroma's, and are returned. */
async function onAll<C, T>(targets: Record<Side, C>, fn: (c: C, side: Side) => Promise<T>, what: string): Promise<Record<Side, Outcome<T>>> {
  const out = {} as Record<Side, Outcome<T>>;
  for (const side of SIDES) out[side] = await capture(side === "lite" ? "lite" : "oracle", () => fn(targets[side], side));
  compareOutcome(out.lite, out.oracle, `${what} (in process)`);
  compareOutcome(out.served, out.oracle, `${what} (server)`);
  return out;
}

const kind = (o: Outcome<unknown>) => (o.ok ? "ok" : o.kind);

describe.skipIf(!oracle.ok)(`the API surface, in process, served and on Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const trio = useTrio();
  const run = Math.floor(Math.random() * 1e6).toString(36);

  /** The same fresh, seeded collection on each side. */
  async function seeded(args: Record<string, unknown> = {}): Promise<Record<Side, LooseCollection>> {
    const name = uniqueName("api");
    const out = {} as Record<Side, LooseCollection>;
    for (const side of SIDES) {
      out[side] = await trio().clients[side].createCollection({ name, ...args });
      await out[side].add({
        ids: ["a", "b", "c", "d"],
        embeddings: [[1, 0], [0, 1], [1, 1], [2, 1]],
        documents: ["apple pie", "banana", "cherry", "apple pie"],
        metadatas: [{ k: 1, s: "x" }, { k: 2 }, null, { s: "apple pie" }],
        uris: [null, "file:///b", "file:///c", null],
      });
    }
    return out;
  }

  async function sameContents(cols: Record<Side, LooseCollection>, what: string): Promise<void> {
    await compareContents(cols.lite, cols.oracle, `${what} (in process)`);
    await compareContents(cols.served, cols.oracle, `${what} (server)`);
  }

  function sameGets(r: Record<Side, Outcome<GetLike>>, what: string): void {
    if (!r.oracle.ok || !r.lite.ok || !r.served.ok) return;
    compareGet(r.lite.value, r.oracle.value, `${what} (in process)`);
    compareGet(r.served.value, r.oracle.value, `${what} (server)`);
  }

  // ------------------------------------------------------------------ tenants and databases

  it.each([
    ["", "invalid"],
    ["ab", "invalid"],
    ["é", "invalid"],
    [`abc${run}`, "ok"],
    [`a/b${run}`, "ok"],
    [`with space ${run}`, "ok"],
    [`${"t".repeat(600)}${run}`, "ok"],
    [`ünï-${run}`, "ok"],
  ])("create tenant %j: %s", async (name, expected) => {
    const r = await onAll(trio().admins, (a) => a.createTenant({ name }), `create tenant ${name.slice(0, 20)}`);
    expect(kind(r.oracle)).toBe(expected);
    if (expected === "ok") await onAll(trio().admins, (a) => a.getTenant({ name }), "get it back");
  });

  it.each([
    "d", "ab", "db with space", "-abc", "abc-", "a..b", "10.0.0.1", "ünï", "x+y+z", "ab+abc", "d".repeat(513), "a/b",
  ])("create database %j: invalid", async (name) => {
    const r = await onAll(trio().admins, (a) => a.createDatabase({ name, tenant: "default_tenant" }), `create database ${name.slice(0, 20)}`);
    expect(kind(r.oracle)).toBe("invalid");
  });

  it.each([`abc${run}`, `top+db${run}`, `A.b_c-${run}`, `${"d".repeat(500)}${run}`])("create database %j: ok", async (name) => {
    const r = await onAll(trio().admins, (a) => a.createDatabase({ name, tenant: "default_tenant" }), `create database ${name.slice(0, 20)}`);
    expect(kind(r.oracle)).toBe("ok");
  });

  it("a database in a tenant whose name has a slash, and its collections", async () => {
    const tenant = `org/team-${run}`;
    await onAll(trio().admins, (a) => a.createTenant({ name: tenant }), "create tenant");
    await onAll(trio().admins, (a) => a.createDatabase({ name: "inside", tenant }), "create database");
    const dbs = await onAll(trio().admins, (a) => a.listDatabases({ tenant }), "list databases");
    for (const side of SIDES) same(dbs[side].ok && dbs[side].value.map((d) => d.name), ["inside"], `databases (${side})`);
    const clients = trio().scoped(tenant, "inside");
    await onAll(clients, (c) => c.createCollection({ name: "slashed" }), "create a collection");
    const names = await onAll(clients, async (c) => (await c.listCollections()).map((x) => x.name), "list");
    for (const side of SIDES) same(names[side].ok && names[side].value, ["slashed"], `collections (${side})`);
  });

  it("a missing tenant or database lists nothing and counts 0; creating in it is invalid; getting is not found", async () => {
    for (const [tenant, database] of [["default_tenant", `nodb${run}`], [`notenant${run}`, "default_database"], [`nt${run}`, `ndb${run}`]] as const) {
      const clients = trio().scoped(tenant, database);
      const label = `${tenant}/${database}`;
      const list = await onAll(clients, async (c) => (await c.listCollections()).length, `list in ${label}`);
      expect(list.oracle).toEqual({ ok: true, value: 0 });
      const count = await onAll(clients, (c) => c.countCollections(), `count in ${label}`);
      expect(count.oracle).toEqual({ ok: true, value: 0 });
      expect(kind((await onAll(clients, (c) => c.createCollection({ name: "abc" }), `create in ${label}`)).oracle)).toBe("invalid");
      expect(kind((await onAll(clients, (c) => c.getOrCreateCollection({ name: "abc" }), `getOrCreate in ${label}`)).oracle)).toBe("invalid");
      expect(kind((await onAll(clients, (c) => c.getCollection({ name: "abc" }), `get in ${label}`)).oracle)).toBe("not-found");
      expect(kind((await onAll(clients, (c) => c.deleteCollection({ name: "abc" }), `delete in ${label}`)).oracle)).toBe("not-found");
    }
    const admins = trio().admins;
    const dbs = await onAll(admins, (a) => a.listDatabases({ tenant: `nobody${run}` }), "list databases of a missing tenant");
    expect(dbs.oracle).toEqual({ ok: true, value: [] });
  });

  it("a database name of fewer than 3 characters fails on use; a missing tenant of 2 lists nothing", async () => {
    const short = trio().scoped("default_tenant", "d");
    expect(kind((await onAll(short, (c) => c.listCollections(), "list in database d")).oracle)).toBe("invalid");
    expect(kind((await onAll(short, (c) => c.createCollection({ name: "abc" }), "create in database d")).oracle)).toBe("invalid");
    const shortTenant = trio().scoped("ab", "default_database");
    expect((await onAll(shortTenant, (c) => c.countCollections(), "count in tenant ab")).oracle).toEqual({ ok: true, value: 0 });
  });

  // ------------------------------------------------------------------ collection metadata and configuration

  it.each([
    ["an unknown hnsw: key beside a known one", { "hnsw:space": "ip", "hnsw:unknown": 3 }, "invalid"],
    ["an unknown hnsw: key alone", { "hnsw:foo": 1, owner: "me" }, "invalid"],
    ["the bare hnsw: prefix", { "hnsw:": 1 }, "invalid"],
    ["HNSW: in capitals (a plain key)", { "HNSW:foo": 1 }, "ok"],
    ["every legacy key", { "hnsw:space": "cosine", "hnsw:construction_ef": 90, "hnsw:search_ef": 40, "hnsw:M": 12, "hnsw:num_threads": 2, "hnsw:resize_factor": 1.5, "hnsw:batch_size": 50, "hnsw:sync_threshold": 500 }, "ok"],
    ["only a null value", { v: null }, "invalid"],
    ["only undefined values", { v: undefined, w: undefined }, "invalid"],
    ["a null beside a value", { v: null, k: 1 }, "ok"],
  ])("create with metadata holding %s: %s", async (label, metadata, expected) => {
    const name = uniqueName("md");
    const r = await onAll(trio().clients, (c) => c.createCollection({ name, metadata }), `create, ${label}`);
    expect(kind(r.oracle)).toBe(expected);
    if (expected !== "ok") return;
    const got = await onAll(trio().clients, async (c) => {
      const x = (await c.getCollection({ name })) as LooseCollection & { configuration?: unknown };
      return { metadata: x.metadata ?? null, configuration: x.configuration };
    }, `get, ${label}`);
    same(got.lite, got.oracle, `${label} (in process)`);
    same(got.served, got.oracle, `${label} (server)`);
  });

  it("modify: only-null metadata is empty; hnsw: keys are plain keys there; max_neighbors can change", async () => {
    const cols = await seeded();
    expect(kind((await onAll(cols, (c) => c.modify({ metadata: { v: null } }), "modify metadata {v: null}")).oracle)).toBe("invalid");
    expect(kind((await onAll(cols, (c) => c.modify({ metadata: { "hnsw:foo": 1 } }), "modify metadata hnsw:foo")).oracle)).toBe("ok");
    expect(kind((await onAll(cols, (c) => c.modify({ configuration: { hnsw: { max_neighbors: 32 } } }), "modify max_neighbors")).oracle)).toBe("ok");
    for (const bad of [-1, 2.5]) {
      const r = await onAll(cols, (c) => c.modify({ configuration: { hnsw: { ef_search: bad } } }), `modify ef_search ${bad}`);
      expect(kind(r.oracle)).toBe("invalid");
    }
    const after = await onAll(trio().clients, async (c) => {
      const x = (await c.getCollection({ name: cols.oracle.name })) as LooseCollection & { configuration?: unknown };
      return { metadata: x.metadata ?? null, configuration: x.configuration };
    }, "get after modify");
    same(after.lite, after.oracle, "after modify (in process)");
    same(after.served, after.oracle, "after modify (server)");
    const q = await onAll(cols, (c) => c.query({ queryEmbeddings: [[1, 0.1]], nResults: 4, include: ["distances"] }), "query after modify");
    for (const side of ["lite", "served"] as const) same(q[side].ok && q[side].value.ids, q.oracle.ok && q.oracle.value.ids, `query ids (${side})`);
  });

  it("hnsw and spann together are refused, on create and on modify", async () => {
    const name = uniqueName("hs");
    const configuration = { hnsw: { space: "ip" }, spann: { space: "ip" } };
    expect(kind((await onAll(trio().clients, (c) => c.createCollection({ name, configuration }), "create with both")).oracle)).toBe("invalid");
    expect(kind((await onAll(trio().clients, (c) => c.getCollection({ name }), "nothing was created")).oracle)).toBe("not-found");
    const cols = await seeded();
    const both = { hnsw: { ef_search: 5 }, spann: { search_nprobe: 5 } };
    expect(kind((await onAll(cols, (c) => c.modify({ configuration: both }), "modify with both")).oracle)).toBe("invalid");
  });

  it.each([
    ["spann's space", { spann: { space: "ip", search_nprobe: 5 } }, "ok"],
    ["an empty spann", { spann: {} }, "ok"],
    ["an unknown spann space", { spann: { space: "manhattan" } }, "invalid"],
    ["an unknown spann field", { spann: { bogus: 1 } }, "invalid"],
    ["a negative spann count", { spann: { ef_construction: -1 } }, "invalid"],
  ])("create with %s: %s (a single node builds HNSW in spann's space)", async (label, configuration, expected) => {
    const name = uniqueName("sp");
    const r = await onAll(trio().clients, (c) => c.createCollection({ name, configuration }), `create with ${label}`);
    expect(kind(r.oracle)).toBe(expected);
    if (expected !== "ok") return;
    const got = await onAll(trio().clients, async (c) => ((await c.getCollection({ name })) as LooseCollection & { configuration?: unknown }).configuration, `get, ${label}`);
    same(got.lite, got.oracle, `${label} (in process)`);
    same(got.served, got.oracle, `${label} (server)`);
  });

  // ------------------------------------------------------------------ record calls

  it.each([
    ["get offset 2**40", (c: LooseCollection) => c.get({ offset: 2 ** 40 }), "invalid"],
    ["get offset 2**32", (c: LooseCollection) => c.get({ offset: 2 ** 32 }), "invalid"],
    ["get offset 2**32 - 1", (c: LooseCollection) => c.get({ offset: 2 ** 32 - 1 }), "ok"],
    ["get limit 2**32", (c: LooseCollection) => c.get({ limit: 2 ** 32 }), "invalid"],
    ["get limit 2**32 - 1", (c: LooseCollection) => c.get({ limit: 2 ** 32 - 1 }), "ok"],
    ["query nResults 2**40", (c: LooseCollection) => c.query({ queryEmbeddings: [[1, 0]], nResults: 2 ** 40 }), "invalid"],
    ["peek limit 2**33", (c: LooseCollection) => c.peek({ limit: 2 ** 33 }), "invalid"],
  ] as [string, (c: LooseCollection) => Promise<unknown>, string][])("%s: %s", async (label, action, expected) => {
    const cols = await seeded();
    const r = await onAll(cols, action, label);
    expect(kind(r.oracle)).toBe(expected);
  });

  it("default include: get documents, metadatas; query metadatas, documents, distances (in that order)", async () => {
    const cols = await seeded();
    const g = await onAll(cols, (c) => c.get({}), "get");
    const q = await onAll(cols, (c) => c.query({ queryEmbeddings: [[1, 0]], nResults: 2 }), "query");
    for (const side of SIDES) {
      same(g[side].ok && g[side].value.include, ["documents", "metadatas"], `get include (${side})`);
      same(q[side].ok && q[side].value.include, ["metadatas", "documents", "distances"], `query include (${side})`);
    }
  });

  it("undefined metadata values are no values: update and upsert keep the key, add leaves it out", async () => {
    const cols = await seeded();
    await onAll(cols, (c) => c.update({ ids: ["a", "b"], metadatas: [{ k: undefined, s: "y" }, { k: undefined }] }), "update");
    await onAll(cols, (c) => c.upsert({ ids: ["b", "e"], embeddings: [[0, 2], [3, 3]], metadatas: [{ k: undefined, w: 3 }, { z: undefined, w: 4 }] }), "upsert");
    await onAll(cols, (c) => c.add({ ids: ["f", "g"], embeddings: [[4, 4], [5, 5]], metadatas: [{ z: undefined }, { z: undefined, y: false }] }), "add");
    await sameContents(cols, "after undefined values");
  });

  it("a record with a uri and no metadata has metadata {}; where on chroma:uri / chroma:document filters them", async () => {
    const cols = await seeded();
    await sameContents(cols, "seeded");
    const q = await onAll(cols, (c) => c.query({ queryEmbeddings: [[0, 1]], nResults: 4, include: ["metadatas", "uris"] }), "query");
    for (const side of ["lite", "served"] as const) same(q[side].ok && q[side].value.metadatas, q.oracle.ok && q.oracle.value.metadatas, `query metadatas (${side})`);
    const wheres: Record<string, unknown>[] = [
      { "chroma:uri": "file:///b" },
      { "chroma:uri": { $ne: "file:///b" } },
      { "chroma:uri": { $in: ["file:///b", "file:///c", "nope"] } },
      { "chroma:uri": { $nin: ["file:///c"] } },
      { "chroma:document": "apple pie" },
      { "chroma:document": { $ne: "apple pie" } },
      { "chroma:document": { $in: ["banana", "cherry"] } },
      { "chroma:document": 1 },
      { "chroma:document": { $gt: 0 } },
      { "chroma:document": { $contains: "apple" } },
      { "chroma:document": { $not_contains: "apple" } },
      { $and: [{ "chroma:document": "apple pie" }, { k: 1 }] },
      { $or: [{ "chroma:uri": "file:///c" }, { s: "apple pie" }] },
      { "chroma:other": 1 },
    ];
    for (const where of wheres) {
      const what = `where ${JSON.stringify(where)}`;
      sameGets(await onAll(cols, (c) => c.get({ where, include: ["documents", "metadatas", "uris"] }), what), what);
    }
  });

  // ------------------------------------------------------------------ client extras

  it("client.collection(id): a handle by id for calls with embeddings; text calls, modify and a missing id fail alike", async () => {
    const cols = await seeded();
    const p = trio();
    const s = p.served;
    const officialOn = (host: string, port: number) => new ChromaClient({ host, port });
    const oracleUrl = new URL(p.urls.oracle);
    const handleClients = {
      lite: p.pair.liteClient,
      served: officialOn(s.host, s.port),
      oracle: officialOn(oracleUrl.hostname, Number(oracleUrl.port)),
    } as Record<Side, { collection(id: string): unknown }>;
    const handles = {} as Record<Side, LooseCollection>;
    for (const side of SIDES) handles[side] = handleClients[side].collection(cols[side].id) as LooseCollection;
    for (const side of SIDES) same(handles[side].name, "", `handle name (${side})`);
    await onAll(handles, (h) => h.add({ ids: ["h1"], embeddings: [[7, 7]], metadatas: [{ via: "handle" }] }), "add through a handle");
    await onAll(handles, (h) => h.update({ ids: ["a"], embeddings: [[1, 0.5]] }), "update through a handle");
    const counts = await onAll(handles, (h) => h.count(), "count through a handle");
    same(counts.lite, counts.oracle, "count (in process)");
    sameGets(await onAll(handles, (h) => h.get({ ids: ["h1", "a"] }), "get through a handle"), "get through a handle");
    for (const [what, action] of [
      ["add documents only", (h: LooseCollection) => h.add({ ids: ["t"], documents: ["text"] })],
      ["query by text", (h: LooseCollection) => h.query({ queryTexts: ["text"] })],
      ["modify", (h: LooseCollection) => h.modify({ name: uniqueName("renamed") })],
    ] as const) {
      expect(kind((await onAll(handles, action, `${what} through a handle`)).oracle)).toBe("invalid");
    }
    await sameContents(cols, "after the handle's writes");
    const missing = "0b4bd5d6-9ad1-4b8a-9a4e-7f0e4c2b1a99";
    const gone = {} as Record<Side, LooseCollection>;
    for (const side of SIDES) gone[side] = handleClients[side].collection(missing) as LooseCollection;
    expect(kind((await onAll(gone, (h) => h.count(), "count of a missing id")).oracle)).toBe("not-found");
  });

  it("supportsBase64Encoding, and Collection.schema as chromalite's server reports it", async () => {
    const p = trio();
    expect(await p.pair.liteClient.supportsBase64Encoding()).toBe(true);
    const s = p.served;
    expect(await new ChromaClient({ host: s.host, port: s.port }).supportsBase64Encoding()).toBe(true);
    const name = uniqueName("sch");
    const configuration = { hnsw: { space: "cosine", ef_search: 33, max_neighbors: 24 } };
    const lite = await p.pair.liteClient.createCollection({ name, configuration: configuration as never });
    await p.clients.served.createCollection({ name, configuration });
    const raw = (await (await fetch(`${p.urls.served}/api/v2/tenants/default_tenant/databases/default_database/collections/${name}`)).json()) as { schema: unknown };
    expect(lite.schema).toEqual(raw.schema);
    const keys = lite.schema?.keys as Record<string, { float_list?: { vector_index: { config: { space: string; hnsw: { max_neighbors: number } } } } }>;
    expect(keys["#embedding"]?.float_list?.vector_index.config).toMatchObject({ space: "cosine", hnsw: { max_neighbors: 24, ef_search: 33 } });
    await lite.modify({ configuration: { hnsw: { ef_search: 44 } } });
    expect(JSON.stringify(lite.schema)).toContain('"ef_search":44');
  });

  // ------------------------------------------------------------------ raw HTTP

  it("/api/v1 answers 410 Gone (405 to POST), with Chroma's body", async () => {
    for (const [method, path] of [["GET", "/api/v1/heartbeat"], ["GET", "/api/v1/tenants/x/databases/y/collections"], ["DELETE", "/api/v1/collections/abc"], ["PUT", "/api/v1/x"], ["POST", "/api/v1/collections"]] as const) {
      const answers = [];
      for (const base of [trio().urls.served, trio().urls.oracle]) {
        const res = await fetch(`${base}${path}`, { method, ...(method === "POST" || method === "PUT" ? { body: "{}", headers: { "content-type": "application/json" } } : {}) });
        const text = await res.text();
        answers.push({ status: res.status, body: res.status === 410 ? (JSON.parse(text) as unknown) : undefined });
      }
      same(answers[0], answers[1], `${method} ${path}`);
    }
  });

  it("shape errors answer 422 and value errors 400, as on Chroma", async () => {
    const name = uniqueName("st");
    const statuses: number[][] = [];
    for (const base of [trio().urls.served, trio().urls.oracle]) {
      const td = `${base}/api/v2/tenants/default_tenant/databases/default_database`;
      const post = (url: string, body: unknown, method = "POST") =>
        fetch(url, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } }).then(async (r) => (await r.text(), r.status));
      const created = (await (await fetch(`${td}/collections`, { method: "POST", body: JSON.stringify({ name }), headers: { "content-type": "application/json" } })).json()) as { id: string };
      const col = `${td}/collections/${created.id}`;
      statuses.push([
        await post(col, { new_configuration: { hnsw: { ef_search: -1 } } }, "PUT"),
        await post(col, { new_configuration: { hnsw: { ef_search: 2.5 } } }, "PUT"),
        await post(col, { new_configuration: { hnsw: { max_neighbors: -3 } } }, "PUT"),
        await post(`${td}/collections`, { name: uniqueName("st"), configuration: { hnsw: { ef_construction: 1.5 } } }),
        await post(`${td}/collections`, { name: uniqueName("st"), configuration: { hnsw: { space: "ip" }, spann: { space: "ip" } } }),
        await post(`${td}/collections`, { name: uniqueName("st"), metadata: { "hnsw:nope": 1 } }),
        await post(`${td}/collections`, { name: uniqueName("st"), metadata: { v: null } }),
        await post(`${col}/get`, { offset: 2 ** 40 }),
        await post(`${col}/get`, { limit: 1.5 }),
        await post(`${col}/query`, { query_embeddings: [[1, 2]], n_results: 2 ** 32 }),
        await post(`${base}/api/v2/tenants`, { name: "ab" }),
        await post(`${base}/api/v2/tenants/default_tenant/databases`, { name: "a b c" }),
        (await fetch(`${base}/api/v2/tenants/default_tenant/databases/d/collections`)).status,
        (await fetch(`${base}/api/v2/tenants/default_tenant/databases/d`)).status,
        (await fetch(`${base}/api/v2/tenants/default_tenant/databases/${name}/collections_count`)).status,
        await post(`${base}/api/v2/tenants/default_tenant/databases/d/collections/${created.id}/get`, {}),
      ]);
    }
    same(statuses[0], statuses[1], "statuses");
    expect(statuses[1]).toEqual([422, 422, 422, 422, 400, 400, 422, 422, 422, 422, 400, 400, 400, 400, 200, 400]);
  });
});
