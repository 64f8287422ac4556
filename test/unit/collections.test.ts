/** Collections, tenants, databases and client-level calls. */
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  NotFoundError,
  PersistentClient,
  ResetDisabledError,
  UniqueConstraintError,
} from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

const DEFAULT_CONFIGURATION = {
  hnsw: { space: "l2", ef_construction: 100, ef_search: 100, max_neighbors: 16, resize_factor: 1.2, sync_threshold: 1000 },
  spann: null,
  embedding_function: null,
};

describe("collection names (the oracle's cases)", () => {
  const invalid = ["ab", "a", "", "bad name", "bad/name", "-abc", "abc-", "_abc", "abc_", "a..b", "192.168.1.1", "x".repeat(513), "ÄÖÜname", "abc!"];
  it.each(invalid)("rejects %j", async (name) => {
    const { client } = tempClient();
    const err = await client.createCollection({ name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe("INVALID_ARGUMENT");
    await expect(client.getOrCreateCollection({ name })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await client.countCollections()).toBe(0);
  });

  const valid = ["x".repeat(63), "x".repeat(64), "x".repeat(512), "ABC", "a_b-c.d", "a.b", "abc", "1.2.3", "10.0.0.1.5"];
  it.each(valid)("accepts %j", async (name) => {
    const { client } = tempClient();
    const c = await client.createCollection({ name });
    expect(c.name).toBe(name);
    expect((await client.getCollection({ name })).id).toBe(c.id);
  });

  it("rejects a non-string name", async () => {
    const { client } = tempClient();
    await expect(client.createCollection({ name: 42 as unknown as string })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("create, get, getOrCreate", () => {
  it("reports id, name, metadata, configuration defaults, tenant and database", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "meta_coll", metadata: { a: 1, b: "x", c: true, f: 1.5 } });
    expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.name).toBe("meta_coll");
    expect(c.metadata).toEqual({ a: 1, b: "x", c: true, f: 1.5 });
    expect(c.configuration).toEqual(DEFAULT_CONFIGURATION);
    expect(c.tenant).toBe("default_tenant");
    expect(c.database).toBe("default_database");
    const again = await client.getCollection({ name: "meta_coll" });
    expect(again.id).toBe(c.id);
    expect(again.metadata).toEqual(c.metadata);
    expect(again.configuration).toEqual(DEFAULT_CONFIGURATION);
    expect((await client.getCollectionById(c.id)).name).toBe("meta_coll");
  });

  it("a collection without metadata reports undefined", async () => {
    const { client } = tempClient();
    expect((await client.createCollection({ name: "plain" })).metadata).toBeUndefined();
  });

  it("creating an existing name rejects with UniqueConstraintError", async () => {
    const { client } = tempClient();
    await client.createCollection({ name: "dup" });
    const err = await client.createCollection({ name: "dup" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintError);
    expect((err as UniqueConstraintError).code).toBe("UNIQUE_CONSTRAINT");
    expect(await client.countCollections()).toBe(1);
  });

  it("getOrCreate returns the existing collection and ignores the new metadata and configuration", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "goc", metadata: { a: 1 } });
    const same = await client.getOrCreateCollection({
      name: "goc",
      metadata: { other: 2 },
      configuration: { hnsw: { space: "cosine" } },
    });
    expect(same.id).toBe(c.id);
    expect(same.metadata).toEqual({ a: 1 });
    expect(same.configuration.hnsw?.space).toBe("l2");
    expect((await client.getCollection({ name: "goc" })).metadata).toEqual({ a: 1 });
  });

  it("getOrCreate creates a missing collection with the given settings", async () => {
    const { client } = tempClient();
    const c = await client.getOrCreateCollection({ name: "goc_new", metadata: { z: 1 } });
    expect(c.metadata).toEqual({ z: 1 });
    expect(await client.countCollections()).toBe(1);
  });

  it("getCollection and getCollectionById of a missing collection reject with NotFoundError", async () => {
    const { client } = tempClient();
    const err = await client.getCollection({ name: "missing" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe("NOT_FOUND");
    await expect(client.getCollectionById("00000000-0000-0000-0000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("getCollections fetches several by name", async () => {
    const { client } = tempClient();
    await client.createCollection({ name: "one" });
    await client.createCollection({ name: "two" });
    expect((await client.getCollections(["two", { name: "one" }])).map((c) => c.name)).toEqual(["two", "one"]);
  });
});

describe("collection metadata", () => {
  it("null values are dropped", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "cm_null", metadata: { k: 1, n: null } });
    expect(c.metadata).toEqual({ k: 1 });
  });

  it("empty, nested, $-keyed and non-finite metadata are rejected", async () => {
    const { client } = tempClient();
    for (const metadata of [{}, { o: { x: 1 } }, { $bad: 1 }, { "#bad": 1 }, { n: Number.NaN }, { arr: [] }]) {
      await expect(
        client.createCollection({ name: "bad_meta", metadata: metadata as unknown as Record<string, string> }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await client.countCollections()).toBe(0);
  });
});

describe("configuration", () => {
  it("takes the space and HNSW parameters", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({
      name: "hnsw_params",
      configuration: { hnsw: { space: "ip", ef_construction: 200, ef_search: 50, max_neighbors: 32, sync_threshold: 50 } },
    });
    expect(c.configuration.hnsw).toEqual({
      space: "ip",
      ef_construction: 200,
      ef_search: 50,
      max_neighbors: 32,
      resize_factor: 1.2,
      sync_threshold: 50,
    });
    expect((await client.getCollection({ name: "hnsw_params" })).configuration.hnsw).toEqual(c.configuration.hnsw);
  });

  it("the legacy metadata key hnsw:space sets the space and stays in the metadata", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "legacy_space", metadata: { "hnsw:space": "cosine" } });
    expect(c.configuration.hnsw?.space).toBe("cosine");
    expect(c.metadata).toEqual({ "hnsw:space": "cosine" });
  });

  it("the configuration wins over legacy metadata", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({
      name: "both",
      metadata: { "hnsw:space": "cosine", "hnsw:M": 8 },
      configuration: { hnsw: { space: "ip" } },
    });
    expect(c.configuration.hnsw?.space).toBe("ip");
    expect(c.configuration.hnsw?.max_neighbors).toBe(8);
  });

  it("an embedding function's default space is used when none is given", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({
      name: "ef_space",
      embeddingFunction: { generate: (t) => Promise.resolve(t.map(() => [1])), defaultSpace: () => "cosine" },
    });
    expect(c.configuration.hnsw?.space).toBe("cosine");
    expect(c.configuration.embedding_function).toEqual({ type: "legacy" });
  });

  it("invalid values and unknown keys are rejected", async () => {
    const { client } = tempClient();
    const bad: unknown[] = [
      { space: "manhattan" },
      { ef_search: 0 },
      { ef_construction: 1.5 },
      { max_neighbors: -1 },
      { resize_factor: 1 },
      { sync_threshold: "x" },
      { bogus: 1 },
    ];
    for (const hnsw of bad) {
      await expect(
        client.createCollection({ name: "bad_cfg", configuration: { hnsw: hnsw as { space: "l2" } } }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await expect(client.createCollection({ name: "bad_cfg", metadata: { "hnsw:space": "bogus" } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await client.countCollections()).toBe(0);
  });
});

describe("list, count, delete", () => {
  it("lists in creation order with limit and offset", async () => {
    const { client } = tempClient();
    const names = ["sp_l2", "meta_coll", "hnsw_params", "goc_new", "abc"];
    for (const name of names) await client.createCollection({ name });
    expect((await client.listCollections()).map((c) => c.name)).toEqual(names);
    expect((await client.listCollections({ limit: 2, offset: 1 })).map((c) => c.name)).toEqual(["meta_coll", "hnsw_params"]);
    expect((await client.listCollections({ offset: 4 })).map((c) => c.name)).toEqual(["abc"]);
    expect(await client.listCollections({ offset: 10 })).toEqual([]);
    expect(await client.listCollections({ limit: 0 })).toEqual([]);
    expect(await client.countCollections()).toBe(5);
    await expect(client.listCollections({ limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.listCollections({ offset: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("lists at most 100 by default", async () => {
    const { client } = tempClient();
    for (let i = 0; i < 102; i++) await client.createCollection({ name: `c${String(i).padStart(3, "0")}` });
    expect(await client.listCollections()).toHaveLength(100);
    expect(await client.countCollections()).toBe(102);
  });

  it("listed handles carry metadata and configuration and work", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "listed", metadata: { m: 1 }, configuration: { hnsw: { space: "ip" } } });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    const [listed] = await client.listCollections();
    expect(listed!.id).toBe(c.id);
    expect(listed!.metadata).toEqual({ m: 1 });
    expect(listed!.configuration.hnsw?.space).toBe("ip");
    expect(await listed!.count()).toBe(1);
  });

  it("count counts records", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "counted" });
    expect(await c.count()).toBe(0);
    await c.add({ ids: ["a", "b", "c"], embeddings: [[1], [2], [3]] });
    expect(await c.count()).toBe(3);
    await c.delete({ ids: ["b"] });
    expect(await c.count()).toBe(2);
  });

  it("deleteCollection removes it and its records; a new one with the same name starts empty", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "victim" });
    await c.add({ ids: ["a"], embeddings: [[1, 2, 3]] });
    await client.deleteCollection({ name: "victim" });
    await expect(client.getCollection({ name: "victim" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.countCollections()).toBe(0);
    const fresh = await client.createCollection({ name: "victim" });
    expect(fresh.id).not.toBe(c.id);
    expect(await fresh.count()).toBe(0);
    // The dimension went with the old collection.
    await fresh.add({ ids: ["a"], embeddings: [[1, 2]] });
    expect(await fresh.count()).toBe(1);
  });

  it("deleteCollection of a missing name rejects with NotFoundError", async () => {
    const { client } = tempClient();
    await expect(client.deleteCollection({ name: "nothing" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("deleteCollection right after a large add (indexer busy) completes", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "busy" });
    const n = 2000;
    await c.add({ ids: Array.from({ length: n }, (_, i) => `r${i}`), embeddings: Array.from({ length: n }, (_, i) => [i, i % 7, 1]) });
    await client.deleteCollection({ name: "busy" });
    expect(await client.countCollections()).toBe(0);
  });
});

describe("modify", () => {
  it("renames; the old name is gone", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "to_modify", metadata: { m1: 1, m2: "two" } });
    await c.add({ ids: ["a"], embeddings: [[1]] });
    await c.modify({ name: "modified_name" });
    expect(c.name).toBe("modified_name");
    expect(c.metadata).toEqual({ m1: 1, m2: "two" });
    await expect(client.getCollection({ name: "to_modify" })).rejects.toBeInstanceOf(NotFoundError);
    const renamed = await client.getCollection({ name: "modified_name" });
    expect(renamed.id).toBe(c.id);
    expect(await renamed.count()).toBe(1);
  });

  it("replaces the metadata (no merge)", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "to_modify", metadata: { m1: 1, m2: "two" } });
    await c.modify({ metadata: { m3: 3 } });
    expect(c.metadata).toEqual({ m3: 3 });
    expect((await client.getCollection({ name: "to_modify" })).metadata).toEqual({ m3: 3 });
  });

  it("changes ef_search and keeps the rest of the configuration", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "efs", configuration: { hnsw: { space: "cosine" } } });
    await c.modify({ configuration: { hnsw: { ef_search: 77 } } });
    expect(c.configuration.hnsw).toEqual({ ...DEFAULT_CONFIGURATION.hnsw, space: "cosine", ef_search: 77 });
    expect((await client.getCollection({ name: "efs" })).configuration.hnsw?.ef_search).toBe(77);
  });

  it("max_neighbors can be changed (as in Chroma): reported at once, the built graph keeps serving", async () => {
    const dir = tempDir();
    const ids = Array.from({ length: 400 }, (_, i) => `r${i}`);
    const embeddings = ids.map((_, i) => [Math.cos(i), Math.sin(i), (i % 7) / 7]);
    let client = new PersistentClient({ path: dir });
    try {
      const c = await client.createCollection({ name: "mnb" });
      await c.add({ ids, embeddings });
      await c.waitForIndexing();
      await c.modify({ configuration: { hnsw: { max_neighbors: 32 } } });
      expect(c.configuration.hnsw?.max_neighbors).toBe(32);
      expect((await c.query({ queryEmbeddings: [embeddings[5]!], nResults: 1 })).ids).toEqual([["r5"]]);
    } finally {
      await client.close();
    }
    client = new PersistentClient({ path: dir });
    try {
      const c = await client.getCollection({ name: "mnb" });
      expect(c.configuration.hnsw?.max_neighbors).toBe(32);
      expect((await c.query({ queryEmbeddings: [embeddings[123]!], nResults: 1 })).ids).toEqual([["r123"]]);
      expect(await c.count()).toBe(400);
    } finally {
      await client.close();
    }
  });

  it("rejects changing the space or ef_construction, and invalid values", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "fixed" });
    const bad: unknown[] = [{ space: "ip" }, { ef_construction: 10 }, { max_neighbors: 1 }, { ef_search: 0 }];
    for (const hnsw of bad) {
      await expect(c.modify({ configuration: { hnsw: hnsw as { ef_search: number } } })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    expect((await client.getCollection({ name: "fixed" })).configuration).toEqual(DEFAULT_CONFIGURATION);
  });

  it("rename onto an existing name rejects with UniqueConstraintError and changes nothing", async () => {
    const { client } = tempClient();
    const a = await client.createCollection({ name: "first" });
    await client.createCollection({ name: "second" });
    const err = await a.modify({ name: "second", metadata: { x: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueConstraintError);
    expect((err as UniqueConstraintError).code).toBe("UNIQUE_CONSTRAINT");
    expect(a.name).toBe("first");
    expect((await client.getCollection({ name: "first" })).metadata).toBeUndefined();
  });

  it("rename to an invalid name rejects with InvalidArgumentError", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "valid" });
    await expect(c.modify({ name: "a" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.modify({ metadata: {} })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await client.getCollection({ name: "valid" })).id).toBe(c.id);
  });

  it("renaming to its own name is a no-op", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "same" });
    await c.modify({ name: "same" });
    expect((await client.getCollection({ name: "same" })).id).toBe(c.id);
  });
});

describe("tenants and databases", () => {
  it("create, get, list and delete databases", async () => {
    const { client } = tempClient();
    await client.createDatabase({ name: "db2" });
    const db = await client.getDatabase({ name: "db2" });
    expect(db).toMatchObject({ name: "db2", tenant: "default_tenant" });
    expect(db.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.listDatabases()).map((d) => d.name)).toEqual(["default_database", "db2"]);
    expect((await client.listDatabases({ limit: 1, offset: 1 })).map((d) => d.name)).toEqual(["db2"]);
    await expect(client.createDatabase({ name: "db2" })).rejects.toBeInstanceOf(UniqueConstraintError);
    await client.deleteDatabase({ name: "db2" });
    await expect(client.getDatabase({ name: "db2" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.deleteDatabase({ name: "db2" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("create and get tenants; databases live in a tenant", async () => {
    const { client } = tempClient();
    expect(await client.getTenant({ name: "default_tenant" })).toBe("default_tenant");
    await client.createTenant({ name: "acme" });
    expect(await client.getTenant({ name: "acme" })).toBe("acme");
    await expect(client.createTenant({ name: "acme" })).rejects.toBeInstanceOf(UniqueConstraintError);
    await expect(client.getTenant({ name: "nobody" })).rejects.toBeInstanceOf(NotFoundError);
    await client.createDatabase({ name: "prod", tenant: "acme" });
    expect((await client.listDatabases({ tenant: "acme" })).map((d) => d.name)).toEqual(["prod"]);
    await expect(client.getDatabase({ name: "prod" })).rejects.toBeInstanceOf(NotFoundError);
    // A database needs its tenant (Chroma creates one in a missing tenant); listing a missing tenant is empty.
    await expect(client.createDatabase({ name: "xyz", tenant: "nobody" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.listDatabases({ tenant: "nobody" })).toEqual([]);
    // Tenants are names of 3 or more characters, any characters (as in Chroma).
    for (const name of ["a/b", "t".repeat(600), "with space", "ünï"]) {
      await client.createTenant({ name });
      expect(await client.getTenant({ name })).toBe(name);
    }
    await client.createDatabase({ name: "inslash", tenant: "a/b" });
    expect((await client.listDatabases({ tenant: "a/b" })).map((d) => d.name)).toEqual(["inslash"]);
  });

  it("invalid tenant and database names are rejected", async () => {
    const { client } = tempClient();
    for (const name of ["", "ab", "é"]) await expect(client.createTenant({ name })).rejects.toBeInstanceOf(InvalidArgumentError);
    // New databases follow the collection-name rule, with Chroma's optional `topology+` prefix.
    for (const name of ["a/b", "d", "ab", "db with space", "-ab", "a..b", "192.168.1.1", "d".repeat(513), "a+b+c", "ab+abc"]) {
      await expect(client.createDatabase({ name })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    for (const name of ["abc", "d".repeat(512), "abc+def"]) await client.createDatabase({ name });
    // A client may name any tenant and database; a database of fewer than 3 characters fails on use.
    expect(() => new PersistentClient({ path: tempDir(), database: 5 as unknown as string })).toThrow(InvalidArgumentError);
    const short = new PersistentClient({ path: tempDir(), database: "d" });
    try {
      await expect(short.listCollections()).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(short.createCollection({ name: "abc" })).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await short.close();
    }
  });

  it("collections are isolated between databases and tenants", async () => {
    const dir = tempDir();
    const main = new PersistentClient({ path: dir });
    try {
      await main.createTenant({ name: "acme" });
      await main.createDatabase({ name: "db2" });
      await main.createDatabase({ name: "db2", tenant: "acme" });
      const inDefault = await main.createCollection({ name: "shared_name" });
      await inDefault.add({ ids: ["default-rec"], embeddings: [[1, 2, 3]] });

      const other = new PersistentClient({ path: dir, database: "db2" });
      const acme = new PersistentClient({ path: dir, tenant: "acme", database: "db2" });
      try {
        expect(await other.listCollections()).toEqual([]);
        await expect(other.getCollection({ name: "shared_name" })).rejects.toBeInstanceOf(NotFoundError);
        const inDb2 = await other.createCollection({ name: "shared_name" });
        expect(inDb2.id).not.toBe(inDefault.id);
        expect(inDb2.database).toBe("db2");
        await inDb2.add({ ids: ["db2-rec"], embeddings: [[1, 2]] });
        const inAcme = await acme.createCollection({ name: "shared_name" });
        expect(inAcme.tenant).toBe("acme");
        expect(await inAcme.count()).toBe(0);

        expect((await inDefault.get()).ids).toEqual(["default-rec"]);
        expect((await inDb2.get()).ids).toEqual(["db2-rec"]);
        expect(await main.countCollections()).toBe(1);
        expect(await other.countCollections()).toBe(1);

        // Deleting a database deletes its collections only.
        await main.deleteDatabase({ name: "db2" });
        await expect(inDb2.count()).rejects.toBeInstanceOf(NotFoundError);
        expect(await inDefault.count()).toBe(1);
        expect(await inAcme.count()).toBe(0);
        expect(await other.listCollections()).toEqual([]);
        expect(await other.countCollections()).toBe(0);
      } finally {
        await other.close();
        await acme.close();
      }
    } finally {
      await main.close();
    }
  });

  it("a client on a missing database fails on use; setDatabase switches", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir, database: "nowhere" });
    try {
      // As in Chroma: a missing database lists nothing, and creating in it is bad input (400).
      expect(await client.listCollections()).toEqual([]);
      expect(await client.countCollections()).toBe(0);
      await expect(client.createCollection({ name: "abc" })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.getOrCreateCollection({ name: "abc" })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.getCollection({ name: "abc" })).rejects.toBeInstanceOf(NotFoundError);
      await expect(client.setDatabase({ database: "still_nowhere" })).rejects.toBeInstanceOf(NotFoundError);
      expect(client.database).toBe("nowhere");
      await client.setDatabase({ database: "default_database" });
      expect(client.database).toBe("default_database");
      await client.createCollection({ name: "abc" });
      expect(await client.countCollections()).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe("reset", () => {
  it("is refused without allowReset", async () => {
    const { client } = tempClient();
    await client.createCollection({ name: "kept" });
    const err = await client.reset().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResetDisabledError);
    expect((err as ResetDisabledError).code).toBe("RESET_DISABLED");
    expect(await client.countCollections()).toBe(1);
  });

  it("with allowReset deletes everything and recreates the default tenant and database", async () => {
    const { client } = tempClient({ allowReset: true });
    const c = await client.createCollection({ name: "gone" });
    await c.add({ ids: ["a"], embeddings: [[1]] });
    await client.createTenant({ name: "acme" });
    await client.createDatabase({ name: "db2" });
    await client.reset();
    expect(await client.countCollections()).toBe(0);
    await expect(c.count()).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.getTenant({ name: "acme" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.listDatabases()).map((d) => d.name)).toEqual(["default_database"]);
    const again = await client.createCollection({ name: "gone" });
    await again.add({ ids: ["b"], embeddings: [[1, 2]] });
    expect(await again.count()).toBe(1);
  });
});

describe("client-level calls", () => {
  it("heartbeat, version, batch size, preflight, identity", async () => {
    const { client } = tempClient();
    const beat = await client.heartbeat();
    expect(beat).toBeGreaterThan(Date.now() * 1_000_000 - 60e9 * 1e3);
    expect(typeof (await client.version())).toBe("string");
    expect(await client.getMaxBatchSize()).toBe(5461);
    expect(await client.getPreflightChecks()).toEqual({ max_batch_size: 5461, supports_base64_encoding: true });
    expect(await client.getUserIdentity()).toEqual({ user_id: "", tenant: "default_tenant", databases: ["default_database"] });
  });

  it("fork is not implemented", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "nofork" });
    await expect(c.fork({ name: "copy" })).rejects.toMatchObject({ code: "NOT_IMPLEMENTED" });
  });
});
