/**
 * Conformance suite: every operation of the OFFICIAL chromadb JS client against a server target.
 * It asserts only what the real Chroma and chromalite both do, so it can run against either:
 *
 *   conformanceSuite("chromalite", () => startChromalite());
 *   conformanceSuite("chroma", async () => {               // test/helpers/oracle.ts
 *     const o = await startOracle();
 *     return { host: o.host, port: o.port, close: () => o.stop() };
 *   });
 *
 * Each test works in a database of its own, so tests do not see each other's collections.
 */
import {
  AdminClient,
  ChromaClient,
  ChromaClientError,
  ChromaForbiddenError,
  ChromaNotFoundError,
  ChromaUniqueError,
  type Collection,
} from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerTarget } from "./helpers.js";

export function conformanceSuite(name: string, startTarget: () => Promise<ServerTarget>): void {
  describe(`conformance (official client) against ${name}`, () => {
    let target: ServerTarget;
    let admin: AdminClient;
    let dbCounter = 0;

    beforeAll(async () => {
      target = await startTarget();
      admin = new AdminClient({ host: target.host, port: target.port, ssl: false });
    });
    afterAll(async () => {
      await target?.close();
    });

    /** A client on a fresh database of the default tenant. */
    async function freshClient(): Promise<ChromaClient> {
      const database = `conf_db_${process.pid}_${++dbCounter}`;
      await admin.createDatabase({ name: database, tenant: "default_tenant" });
      return new ChromaClient({ host: target.host, port: target.port, database });
    }

    async function collection(client: ChromaClient, name = "docs", space?: "l2" | "cosine" | "ip"): Promise<Collection> {
      return client.createCollection({
        name,
        embeddingFunction: null,
        ...(space ? { configuration: { hnsw: { space } } } : {}),
      });
    }

    it("answers the system endpoints", async () => {
      const client = new ChromaClient({ host: target.host, port: target.port });
      expect(await client.heartbeat()).toBeGreaterThan(0);
      expect(await client.version()).toBe("1.0.0");
      expect(await client.getPreflightChecks()).toEqual({ max_batch_size: 5461, supports_base64_encoding: true });
      expect(await client.getMaxBatchSize()).toBe(5461);
      expect(await client.getUserIdentity()).toEqual({
        user_id: "",
        tenant: "default_tenant",
        databases: ["default_database"],
      });
    });

    it("refuses reset unless the server allows it", async () => {
      const client = new ChromaClient({ host: target.host, port: target.port });
      await expect(client.reset()).rejects.toBeInstanceOf(ChromaForbiddenError);
    });

    it("manages tenants and databases", async () => {
      const tenant = `conf_tenant_${process.pid}`;
      await admin.createTenant({ name: tenant });
      await expect(admin.createTenant({ name: tenant })).rejects.toBeInstanceOf(ChromaUniqueError);
      expect(await admin.getTenant({ name: tenant })).toBe(tenant);
      await expect(admin.getTenant({ name: "no_such_tenant" })).rejects.toBeInstanceOf(ChromaNotFoundError);

      await admin.createDatabase({ name: "first", tenant });
      await admin.createDatabase({ name: "second", tenant });
      await expect(admin.createDatabase({ name: "first", tenant })).rejects.toBeInstanceOf(ChromaUniqueError);
      const db = await admin.getDatabase({ name: "first", tenant });
      expect(db).toMatchObject({ name: "first", tenant });
      expect(typeof db.id).toBe("string");
      expect((await admin.listDatabases({ tenant })).map((d) => d.name)).toEqual(["first", "second"]);
      expect((await admin.listDatabases({ tenant, limit: 1, offset: 1 })).map((d) => d.name)).toEqual(["second"]);
      await expect(admin.getDatabase({ name: "nope_db", tenant })).rejects.toBeInstanceOf(ChromaNotFoundError);

      // A collection lives in its database only.
      const inFirst = new ChromaClient({ host: target.host, port: target.port, tenant, database: "first" });
      const inSecond = new ChromaClient({ host: target.host, port: target.port, tenant, database: "second" });
      await inFirst.createCollection({ name: "shared_name", embeddingFunction: null });
      expect(await inFirst.countCollections()).toBe(1);
      expect(await inSecond.countCollections()).toBe(0);
      await expect(inSecond.getCollection({ name: "shared_name" })).rejects.toBeInstanceOf(ChromaNotFoundError);

      await admin.deleteDatabase({ name: "first", tenant });
      await expect(admin.getDatabase({ name: "first", tenant })).rejects.toBeInstanceOf(ChromaNotFoundError);
      expect((await admin.listDatabases({ tenant })).map((d) => d.name)).toEqual(["second"]);
    });

    it("creates, gets, lists, counts, modifies and deletes collections", async () => {
      const client = await freshClient();
      expect(await client.countCollections()).toBe(0);
      expect(await client.listCollections()).toEqual([]);

      const a = await client.createCollection({ name: "alpha", embeddingFunction: null, metadata: { a: 1, b: "x", c: true, f: 1.5 } });
      expect(a.name).toBe("alpha");
      expect(a.metadata).toEqual({ a: 1, b: "x", c: true, f: 1.5 });
      expect(a.configuration.hnsw).toMatchObject({ space: "l2", ef_construction: 100, ef_search: 100, max_neighbors: 16 });
      await expect(client.createCollection({ name: "alpha", embeddingFunction: null })).rejects.toBeInstanceOf(ChromaUniqueError);

      const again = await client.getOrCreateCollection({ name: "alpha", embeddingFunction: null, metadata: { other: 2 } });
      expect(again.id).toBe(a.id);
      expect(again.metadata).toEqual({ a: 1, b: "x", c: true, f: 1.5 });

      const b = await client.createCollection({ name: "beta", embeddingFunction: null, configuration: { hnsw: { space: "cosine" } } });
      expect(b.configuration.hnsw?.space).toBe("cosine");
      const legacy = await client.createCollection({ name: "gamma", embeddingFunction: null, metadata: { "hnsw:space": "ip" } });
      expect(legacy.configuration.hnsw?.space).toBe("ip");

      expect(await client.countCollections()).toBe(3);
      expect((await client.listCollections()).map((c) => c.name).sort()).toEqual(["alpha", "beta", "gamma"]);
      expect(await client.listCollections({ limit: 2, offset: 1 })).toHaveLength(2);

      const byName = await client.getCollection({ name: "alpha" });
      expect(byName.id).toBe(a.id);
      const byId = await client.getCollectionById(a.id);
      expect(byId.name).toBe("alpha");
      await expect(client.getCollection({ name: "does_not_exist" })).rejects.toBeInstanceOf(ChromaNotFoundError);

      for (const bad of ["ab", "bad name", "-abc", "a..b", "192.168.1.1"]) {
        await expect(client.createCollection({ name: bad, embeddingFunction: null })).rejects.toBeInstanceOf(ChromaClientError);
      }

      await a.modify({ name: "alpha2", metadata: { m: 3 } });
      const renamed = await client.getCollection({ name: "alpha2" });
      expect(renamed.metadata).toEqual({ m: 3 }); // modify replaces the metadata
      await expect(client.getCollection({ name: "alpha" })).rejects.toBeInstanceOf(ChromaNotFoundError);
      await renamed.modify({ configuration: { hnsw: { ef_search: 77 } } });
      expect((await client.getCollection({ name: "alpha2" })).configuration.hnsw?.ef_search).toBe(77);

      await client.deleteCollection({ name: "alpha2" });
      await expect(client.deleteCollection({ name: "alpha2" })).rejects.toBeInstanceOf(ChromaNotFoundError);
      await expect(renamed.count()).rejects.toBeInstanceOf(ChromaNotFoundError);
      expect(await client.countCollections()).toBe(2);
    });

    it("adds and gets records with every include combination", async () => {
      const client = await freshClient();
      const c = await collection(client);
      expect(await c.count()).toBe(0);
      const empty = await c.get();
      expect(empty.ids).toEqual([]);

      await c.add({
        ids: ["c", "a", "b"],
        embeddings: [
          [0, 0, 1],
          [1, 0, 0],
          [0.1, 0.2, 0.3],
        ],
        documents: ["doc C hello world", "doc A Hello", "doc B foo bar"],
        metadatas: [
          { k: 3, s: "c", flag: true, f: 3.5 },
          { k: 1, s: "a", flag: false, f: 1 },
          { k: 2, s: "b", flag: true, f: 2.25, tags: ["x", "y"] },
        ],
      });
      expect(await c.count()).toBe(3);

      const all = await c.get({ include: ["documents", "metadatas", "embeddings", "uris"] });
      expect(all.ids).toEqual(["c", "a", "b"]); // insertion order
      expect(all.documents).toEqual(["doc C hello world", "doc A Hello", "doc B foo bar"]);
      expect(all.embeddings).toEqual([
        [0, 0, 1],
        [1, 0, 0],
        [0.1, 0.2, 0.3], // float32 values come back in their shortest form
      ]);
      expect(all.metadatas[2]).toEqual({ k: 2, s: "b", flag: true, f: 2.25, tags: ["x", "y"] });
      expect(all.uris).toEqual([null, null, null]);

      const defaults = await c.get({ ids: ["a"] });
      expect(defaults.include.sort()).toEqual(["documents", "metadatas"]);
      expect(defaults.embeddings).toEqual([]);

      const byIds = await c.get({ ids: ["b", "missing", "c"] });
      expect(byIds.ids).toEqual(["c", "b"]); // insertion order, missing ids dropped
      expect((await c.get({ limit: 2, offset: 1 })).ids).toEqual(["a", "b"]);
      expect((await c.get({ offset: 5 })).ids).toEqual([]);
      expect((await c.peek({ limit: 2 })).ids).toEqual(["c", "a"]);

      const rows = (await c.get({ ids: ["a"], include: ["documents"] })).rows();
      expect(rows).toEqual([{ id: "a", document: "doc A Hello", embedding: undefined, metadata: undefined, uri: undefined }]);
    });

    it("filters with where and whereDocument", async () => {
      const client = await freshClient();
      const c = await collection(client);
      await c.add({
        ids: ["c", "a", "b", "z", "d"],
        embeddings: [
          [0, 0, 1],
          [1, 0, 0],
          [0, 1, 0],
          [1, 1, 0],
          [2, 0, 0],
        ],
        documents: ["doc C hello world", "doc A Hello", "doc B foo bar", "doc Z", "doc D"],
        metadatas: [
          { k: 3, s: "c", flag: true },
          { k: 1, s: "a", flag: false },
          { k: 2, s: "b", flag: true, tags: ["x", "y"] },
          { k: 26, s: "z" },
          { other: 1 },
        ],
      });
      const ids = async (args: Parameters<Collection["get"]>[0]) => (await c.get(args)).ids;
      expect(await ids({ where: { k: 1 } })).toEqual(["a"]);
      expect(await ids({ where: { k: { $ne: 1 } } })).toEqual(["c", "b", "z", "d"]);
      expect(await ids({ where: { k: { $gt: 1 } } })).toEqual(["c", "b", "z"]);
      expect(await ids({ where: { k: { $lte: 2 } } })).toEqual(["a", "b"]);
      expect(await ids({ where: { k: { $in: [1, 3] } } })).toEqual(["c", "a"]);
      expect(await ids({ where: { k: { $nin: [1, 3] } } })).toEqual(["b", "z", "d"]);
      expect(await ids({ where: { flag: true } })).toEqual(["c", "b"]);
      expect(await ids({ where: { $and: [{ k: { $gte: 1 } }, { s: { $ne: "b" } }] } })).toEqual(["c", "a", "z"]);
      expect(await ids({ where: { $or: [{ k: 1 }, { s: "z" }] } })).toEqual(["a", "z"]);
      expect(await ids({ where: { tags: { $contains: "x" } } })).toEqual(["b"]);
      expect(await ids({ whereDocument: { $contains: "Hello" } })).toEqual(["a"]);
      expect(await ids({ whereDocument: { $not_contains: "hello" } })).toEqual(["a", "b", "z", "d"]);
      expect(await ids({ whereDocument: { $regex: "^doc [AB]" } })).toEqual(["a", "b"]);
      expect(await ids({ where: { k: { $gte: 2 } }, whereDocument: { $contains: "doc" } })).toEqual(["c", "b", "z"]);
      await expect(c.get({ whereDocument: { $regex: "([" } })).rejects.toBeInstanceOf(ChromaClientError);
    });

    it("queries with exact distances in every space", async () => {
      const client = await freshClient();
      const points = {
        ids: ["p", "q", "r", "s", "t"],
        embeddings: [
          [1, 0, 0],
          [0, 2, 0],
          [3, 4, 0],
          [-1, -1, 0],
          [0.5, 0.5, 0],
        ],
      };
      const l2 = await collection(client, "dist_l2");
      await l2.add(points);
      const r = await l2.query({ queryEmbeddings: [[1, 2, 2]], nResults: 5, include: ["distances", "embeddings"] });
      expect(r.ids).toEqual([["q", "t", "p", "r", "s"]]);
      expect(r.distances[0]).toEqual([5, 6.5, 8, 12, 17]);
      expect(r.embeddings[0]?.[1]).toEqual([0.5, 0.5, 0]);

      const ip = await collection(client, "dist_ip", "ip");
      await ip.add(points);
      const ri = await ip.query({ queryEmbeddings: [[1, 2, 2]], nResults: 5, include: ["distances"] });
      expect(ri.ids).toEqual([["r", "q", "t", "p", "s"]]);
      expect(ri.distances[0]).toEqual([-10, -3, -0.5, 0, 4]);

      const cos = await collection(client, "dist_cos", "cosine");
      await cos.add(points);
      const rc = await cos.query({ queryEmbeddings: [[1, 2, 2]], nResults: 5, include: ["distances"] });
      expect(rc.ids).toEqual([["r", "t", "q", "p", "s"]]);
      const expected = [1 - 11 / 15, 1 - Math.SQRT1_2, 1 - 4 / 6, 1 - 1 / 3, 1 + 3 / (3 * Math.SQRT2)];
      rc.distances[0]?.forEach((d, i) => expect(d).toBeCloseTo(expected[i]!, 6));
    });

    it("queries with defaults, filters, ids and nResults beyond the count", async () => {
      const client = await freshClient();
      const c = await collection(client);
      const empty = await c.query({ queryEmbeddings: [[1, 0, 0]], nResults: 3 });
      expect(empty.ids).toEqual([[]]);
      expect(empty.distances).toEqual([[]]);

      await c.add({
        ids: ["c", "a", "b", "z"],
        embeddings: [
          [0, 0, 1],
          [1, 0, 0],
          [0, 1, 0],
          [1, 1, 0],
        ],
        documents: ["C", "A", "B", "Z"],
        metadatas: [{ k: 3 }, { k: 1 }, { k: 2 }, { k: 26 }],
      });
      const r = await c.query({ queryEmbeddings: [[1, 2, 0], [0.1, 0, 0.9]], nResults: 2 });
      expect(r.ids).toEqual([
        ["z", "b"],
        ["c", "a"],
      ]);
      expect(r.documents).toEqual([
        ["Z", "B"],
        ["C", "A"],
      ]);
      expect(r.metadatas[0]).toEqual([{ k: 26 }, { k: 2 }]);
      expect(r.distances[0]).toEqual([1, 2]);
      expect(r.distances[1]?.[0]).toBeCloseTo(0.02, 6);
      expect(r.distances[1]?.[1]).toBeCloseTo(1.62, 6);
      expect(r.include.sort()).toEqual(["distances", "documents", "metadatas"]);

      expect((await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 100 })).ids[0]).toHaveLength(4);
      expect((await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, where: { k: { $gte: 2 } } })).ids).toEqual([
        ["z", "b", "c"],
      ]);
      expect((await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, ids: ["a", "z"] })).ids).toEqual([["z", "a"]]);
      expect((await c.query({ queryEmbeddings: [[1, 2, 0]], nResults: 5, where: { k: 999 } })).ids).toEqual([[]]);
      await expect(c.query({ queryEmbeddings: [[1, 2]], nResults: 1 })).rejects.toBeInstanceOf(ChromaClientError);
    });

    it("upserts, updates and ignores adds of existing ids", async () => {
      const client = await freshClient();
      const c = await collection(client);
      await c.add({
        ids: ["a", "b"],
        embeddings: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        documents: ["A", "B"],
        metadatas: [
          { k: 1, s: "a" },
          { k: 2, s: "b" },
        ],
      });
      await c.add({ ids: ["a"], embeddings: [[9, 9, 9]], documents: ["DUP"], metadatas: [{ k: 999 }] });
      let got = await c.get({ ids: ["a"], include: ["documents", "metadatas", "embeddings"] });
      expect(got.documents).toEqual(["A"]);
      expect(got.embeddings).toEqual([[1, 0, 0]]);

      await c.upsert({ ids: ["b", "n"], embeddings: [[0, 2, 0], [3, 3, 3]], metadatas: [{ only: 1 }, { u: 1 }], documents: ["B2", "N"] });
      got = await c.get({ ids: ["b", "n"], include: ["documents", "metadatas", "embeddings"] });
      expect(got.metadatas).toEqual([{ k: 2, s: "b", only: 1 }, { u: 1 }]); // merged key by key
      expect(got.documents).toEqual(["B2", "N"]);
      expect(got.embeddings).toEqual([
        [0, 2, 0],
        [3, 3, 3],
      ]);

      await c.update({ ids: ["a"], metadatas: [{ k: 10, extra: "e" }] });
      // The official client drops null metadata values before sending: the key stays.
      await c.update({ ids: ["a"], metadatas: [{ s: null }] });
      await c.update({ ids: ["a"], embeddings: [[0, 0, 5]] });
      await c.update({ ids: ["missing"], embeddings: [[1, 1, 1]] });
      got = await c.get({ ids: ["a", "missing"], include: ["documents", "metadatas", "embeddings"] });
      expect(got.ids).toEqual(["a"]);
      expect(got.metadatas).toEqual([{ k: 10, s: "a", extra: "e" }]);
      expect(got.documents).toEqual(["A"]);
      expect(got.embeddings).toEqual([[0, 0, 5]]);
      expect((await c.get()).ids).toEqual(["a", "b", "n"]); // upsert keeps positions
      await expect(c.add({ ids: ["w"], embeddings: [[1, 2]] })).rejects.toBeInstanceOf(ChromaClientError);
      await expect(c.update({ ids: ["a"], embeddings: [[1, 2]] })).rejects.toBeInstanceOf(ChromaClientError);
    });

    it("deletes by ids, where and whereDocument", async () => {
      const client = await freshClient();
      const c = await collection(client);
      await c.add({
        ids: ["a", "b", "c", "d", "e"],
        embeddings: [[1], [2], [3], [4], [5]],
        documents: ["one", "two", "three", "four", "five"],
        metadatas: [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }, { k: 5 }],
      });
      await c.delete({ ids: ["a"] });
      expect(await c.count()).toBe(4);
      expect(await c.delete({ where: { k: { $gte: 4 } } })).toEqual({ deleted: 2 });
      expect(await c.delete({ whereDocument: { $contains: "two" } })).toEqual({ deleted: 1 });
      expect(await c.delete({ ids: ["c", "b"], where: { k: 3 } })).toEqual({ deleted: 1 });
      expect(await c.count()).toBe(0);
      await c.add({ ids: ["a"], embeddings: [[7]] });
      expect((await c.get({ include: ["embeddings"] })).embeddings).toEqual([[7]]);
    });

    it("rejects records it cannot store", async () => {
      const client = await freshClient();
      const c = await collection(client);
      await c.add({ ids: ["a"], embeddings: [[1, 2, 3]] });
      await expect(c.add({ ids: [""], embeddings: [[1, 2, 3]] })).rejects.toBeInstanceOf(ChromaClientError);
      await expect(c.add({ ids: ["nan"], embeddings: [[Number.NaN, 0, 0]] })).rejects.toBeInstanceOf(ChromaClientError);
      await expect(c.add({ ids: ["k"], embeddings: [[1, 1, 1]], metadatas: [{ $bad: 1 }] })).rejects.toBeInstanceOf(
        ChromaClientError,
      );
      expect(await c.count()).toBe(1);
    });

    it("serves many clients at once", async () => {
      const client = await freshClient();
      const c = await collection(client, "concurrent");
      const workers = 8;
      const perWorker = 25;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          const own = new ChromaClient({ host: target.host, port: target.port, database: client.database });
          const col = await own.getCollection({ name: "concurrent" });
          for (let i = 0; i < perWorker; i++) {
            const id = `w${w}-${i}`;
            await col.add({ ids: [id], embeddings: [[w, i, 1]], metadatas: [{ w, i }] });
            if (i % 5 === 0) {
              const q = await col.query({ queryEmbeddings: [[w, i, 1]], nResults: 1 });
              expect(q.ids[0]).toEqual([id]);
            }
          }
        }),
      );
      expect(await c.count()).toBe(workers * perWorker);
      expect((await c.get({ where: { w: 3 } })).ids).toHaveLength(perWorker);
    });

    it("decodes a body before it checks names, and finds a collection before it checks a new name", async () => {
      // Raw requests: the official client would refuse some of these before sending.
      const call = async (method: string, route: string, body: unknown) => {
        const res = await fetch(`http://${target.host}:${target.port}/api/v2${route}`, {
          method,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: res.status, error: ((await res.json()) as { error?: string }).error };
      };
      const db = "/tenants/default_tenant/databases/default_database";
      // A name Chroma refuses (400) in a body of the wrong shape (422): the shape is found first.
      expect(await call("POST", `${db}/collections`, { name: "a", metadata: { x: { nested: 1 } } })).toEqual({ status: 422, error: "ChromaError" });
      expect(await call("POST", `${db}/collections`, { name: "a", configuration: { hnsw: { bogus: 1 } } })).toEqual({ status: 422, error: "ChromaError" });
      expect(await call("POST", `${db}/collections`, { name: "a" })).toEqual({ status: 400, error: "InvalidArgumentError" });
      // A bad new name for a collection that does not exist: not found.
      const missing = `${db}/collections/6f0e1c1e-0000-4000-8000-000000000000`;
      expect(await call("PUT", missing, { new_name: "a" })).toEqual({ status: 404, error: "NotFoundError" });
      expect(await call("PUT", missing, { new_name: "a", new_metadata: { x: { y: 1 } } })).toEqual({ status: 422, error: "ChromaError" });
      const client = await freshClient();
      const c = await collection(client, "renamed-badly");
      const path = `/tenants/default_tenant/databases/${client.database}/collections/${c.id}`;
      expect(await call("PUT", path, { new_name: "a" })).toEqual({ status: 400, error: "InvalidArgumentError" });
    });
  });
}
