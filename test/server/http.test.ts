/**
 * Raw HTTP: status codes and bodies as Chroma's server answers them (see shared/oracle/behaviour.json
 * raw:* entries), plus chromalite's own limits and deliberate deviations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Embedding, request, startChromalite, TD, type ChromaliteTarget, type RawResponse } from "./helpers.js";

let t: ChromaliteTarget;
let n = 0;

beforeAll(async () => {
  t = await startChromalite();
});
afterAll(async () => {
  await t?.close();
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  request(t.url, method, path, body, headers);

/** A new collection with records c, a, b (dimension 3) in the default database. */
async function seeded(): Promise<{ id: string; path: string }> {
  const res = await call("POST", `${TD}/collections`, { name: `raw_${++n}` });
  expect(res.status).toBe(200);
  const id = (res.body as { id: string }).id;
  const path = `${TD}/collections/${id}`;
  const add = await call("POST", `${path}/add`, {
    ids: ["c", "a", "b"],
    embeddings: [base64Embedding([0, 0, 1]), base64Embedding([1, 0, 0]), base64Embedding([0, 1, 0])],
    documents: ["doc C", "doc A", null],
    metadatas: [{ k: 3, s: "c" }, { k: 1, s: "a" }, null],
  });
  expect(add.status).toBe(201);
  expect(add.body).toEqual({});
  return { id, path };
}

function expectError(res: RawResponse, status: number, error: string, message?: string | RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ error });
  const body = res.body as { message: unknown };
  expect(typeof body.message).toBe("string");
  if (typeof message === "string") expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}

describe("system endpoints", () => {
  it("answer in Chroma's shapes", async () => {
    const hb = await call("GET", "/api/v2/heartbeat");
    expect(hb.status).toBe(200);
    expect(hb.text).toMatch(/^\{"nanosecond heartbeat":\d+\}$/);
    const version = await call("GET", "/api/v2/version");
    expect(version.text).toBe('"1.0.0"');
    expect((await call("GET", "/api/v2/pre-flight-checks")).body).toEqual({ max_batch_size: 5461, supports_base64_encoding: true });
    expect((await call("GET", "/api/v2/auth/identity")).body).toEqual({
      user_id: "",
      tenant: "default_tenant",
      databases: ["default_database"],
    });
    expect((await call("GET", "/api/v2/healthcheck")).body).toEqual({ is_executor_ready: true, is_log_client_ready: true });
  });

  it("refuse reset when it is not allowed", async () => {
    expectError(await call("POST", "/api/v2/reset"), 403, "ChromaError", "Reset is disabled by config");
  });

  it("answer unknown routes and methods with JSON errors", async () => {
    expectError(await call("GET", "/api/v2/nothing"), 404, "NotFoundError");
    expectError(await call("GET", "/api/v1/heartbeat"), 410, "Unimplemented"); // as Chroma: the old API is gone
    expectError(await call("GET", "/api/v3/heartbeat"), 404, "NotFoundError");
    const res = await call("PATCH", "/api/v2/heartbeat");
    expectError(res, 405, "ChromaError");
    expect(res.headers.get("allow")).toBe("GET");
  });
});

describe("request bodies", () => {
  it("rejects malformed JSON with 400 InvalidArgumentError", async () => {
    expectError(await call("POST", `${TD}/collections`, "{not json"), 400, "InvalidArgumentError", /^Failed to parse the request body as JSON/);
    expectError(await call("POST", `${TD}/collections`, ""), 400, "InvalidArgumentError", /^Failed to parse the request body as JSON/);
  });

  it("rejects a body that is not an object, or not declared as JSON", async () => {
    expectError(await call("POST", `${TD}/collections`, "[]"), 422, "ChromaError", /^Failed to deserialize the JSON body/);
    const res = await call("POST", `${TD}/collections`, '{"name":"abc"}', { "content-type": "text/plain" });
    expectError(res, 415, "ChromaError", "Expected request with `Content-Type: application/json`");
  });

  it("answers 413 past the body limit and keeps serving", async () => {
    const small = await startChromalite({ maxBodyBytes: 1024 });
    try {
      const big = JSON.stringify({ name: "x".repeat(2000) });
      const res = await request(small.url, "POST", `${TD}/collections`, big);
      expectError(res, 413, "ChromaError", /Payload too large.*1024 bytes/);
      // Without a content-length (chunked), the limit applies while reading.
      const chunked = await fetch(`${small.url}${TD}/collections`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(600)));
            controller.close();
          },
        }),
        duplex: "half",
      });
      expect(chunked.status).toBe(413);
      expect((await request(small.url, "POST", `${TD}/collections`, { name: "fits" })).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe("collections", () => {
  it("answers create errors like Chroma", async () => {
    expectError(await call("POST", `${TD}/collections`, {}), 422, "ChromaError", /missing field `name`/);
    expectError(
      await call("POST", `${TD}/collections`, { name: "ab" }),
      400,
      "InvalidArgumentError",
      "Validation error: name: Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]. Got: ab",
    );
    expectError(await call("POST", `${TD}/collections`, { name: "meta_null", metadata: { n: null } }), 422, "ChromaError", /metadata\.n/);
    expectError(await call("POST", `${TD}/collections`, { name: "meta_obj", metadata: { o: { x: 1 } } }), 422, "ChromaError");
    expectError(
      await call("POST", `${TD}/collections`, { name: "meta_empty", metadata: {} }),
      400,
      "InvalidArgumentError",
      "Validation error: metadata: Metadata cannot be empty",
    );
    expectError(
      await call("POST", `${TD}/collections`, { name: "cfg_bad", configuration: { hnsw: { bogus: 1 } } }),
      422,
      "ChromaError",
      /configuration\.hnsw\.bogus: unknown field `bogus`/,
    );
    expectError(
      await call("POST", `${TD}/collections`, { name: "cfg_space", configuration: { hnsw: { space: "foo" } } }),
      422,
      "ChromaError",
      /unknown variant `foo`/,
    );
    const ok = await call("POST", `${TD}/collections`, { name: "dup_coll", bogus: 1 });
    expect(ok.status).toBe(200);
    expectError(await call("POST", `${TD}/collections`, { name: "dup_coll" }), 409, "ChromaError", "Collection [dup_coll] already exists");
  });

  it("returns the collection JSON Chroma returns", async () => {
    const res = await call("POST", `${TD}/collections`, {
      name: "shape_coll",
      metadata: { a: 1 },
      configuration: { hnsw: { space: "cosine", ef_search: 50 }, embedding_function: { type: "legacy" } },
      get_or_create: false,
    });
    expect(res.status).toBe(200);
    const body = res.body as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      "id",
      "name",
      "configuration_json",
      "schema",
      "metadata",
      "dimension",
      "tenant",
      "database",
      "log_position",
      "version",
    ]);
    expect(body).toMatchObject({
      name: "shape_coll",
      configuration_json: {
        hnsw: { space: "cosine", ef_construction: 100, ef_search: 50, max_neighbors: 16, resize_factor: 1.2, sync_threshold: 1000 },
        spann: null,
        embedding_function: { type: "legacy" },
      },
      metadata: { a: 1 },
      dimension: null,
      tenant: "default_tenant",
      database: "default_database",
      log_position: 0,
      version: 0,
    });
    const schema = body.schema as { keys: Record<string, { float_list?: { vector_index: { config: Record<string, unknown> } } }> };
    expect(schema.keys["#embedding"]?.float_list?.vector_index.config).toMatchObject({
      space: "cosine",
      embedding_function: { type: "legacy" },
      source_key: "#document",
    });
    const id = body.id as string;
    await call("POST", `${TD}/collections/${id}/add`, { ids: ["x"], embeddings: [[1, 2]] });
    expect((await call("GET", `${TD}/collections/shape_coll`)).body).toMatchObject({ dimension: 2, log_position: 1 });
  });

  it("answers 404 and 400 for missing and malformed collections", async () => {
    expectError(await call("GET", `${TD}/collections/does_not_exist`), 404, "NotFoundError", "Collection [does_not_exist] does not exist");
    expectError(await call("DELETE", `${TD}/collections/does_not_exist`), 404, "NotFoundError", "Collection [does_not_exist] does not exist");
    const zero = "00000000-0000-0000-0000-000000000000";
    expectError(await call("GET", `${TD}/collections/by-id/${zero}`), 404, "NotFoundError", `Collection [${zero}] does not exist`);
    expectError(await call("GET", `${TD}/collections/${zero}/count`), 404, "NotFoundError", `Collection [${zero}] does not exist.`);
    expectError(await call("POST", `${TD}/collections/${zero}/get`, {}), 404, "NotFoundError");
    expectError(await call("PUT", `${TD}/collections/${zero}`, {}), 404, "NotFoundError");
    expectError(await call("GET", `${TD}/collections/not-a-uuid/count`), 400, "InvalidArgumentError", "Collection ID is not a valid UUIDv4");
    expectError(await call("GET", `${TD}/collections/by-id/not-a-uuid`), 400, "InvalidArgumentError");
  });

  it("lists nothing in a tenant or database that does not exist", async () => {
    expect((await call("GET", "/api/v2/tenants/nope_tenant/databases/default_database/collections")).body).toEqual([]);
    expect((await call("GET", "/api/v2/tenants/default_tenant/databases/nope_db/collections_count")).body).toBe(0);
    expect((await call("GET", "/api/v2/tenants/nope_tenant/databases")).body).toEqual([]);
    expectError(await call("GET", `${TD}/collections?limit=-1`), 400, "InvalidArgumentError", /limit/);
  });

  it("modifies: rename, replace metadata (null values dropped), configuration", async () => {
    const { id, path } = await seeded();
    const name = `renamed_${n}`;
    expect((await call("PUT", path, { new_name: name, new_metadata: { m3: null, m4: 4 } })).body).toEqual({});
    expect((await call("PUT", path, { new_configuration: { hnsw: { ef_search: 77 } } })).status).toBe(200);
    expect((await call("PUT", path, {})).status).toBe(200);
    const got = (await call("GET", `${TD}/collections/${name}`)).body as Record<string, unknown>;
    expect(got).toMatchObject({ id, metadata: { m4: 4 }, configuration_json: { hnsw: { ef_search: 77 } } });
    expectError(
      await call("PUT", path, { new_configuration: { hnsw: { space: "ip" } } }),
      422,
      "ChromaError",
      /new_configuration\.hnsw\.space: unknown field `space`/,
    );
    expectError(await call("PUT", path, { new_name: "a" }), 400, "InvalidArgumentError", /^Validation error: new_name:/);
    expectError(await call("PUT", path, { new_metadata: {} }), 400, "InvalidArgumentError", "Validation error: new_metadata: Metadata cannot be empty");
    // Chroma answers 500 (a UNIQUE constraint failure) here; chromalite answers 409.
    await call("POST", `${TD}/collections`, { name: "taken_name" });
    expectError(await call("PUT", path, { new_name: "taken_name" }), 409, "ChromaError");
  });

  it("serves a collection by CRN", async () => {
    await call("POST", `${TD}/collections`, { name: "crn_coll" });
    expect((await call("GET", "/api/v2/collections/default_tenant:default_database:crn_coll")).body).toMatchObject({ name: "crn_coll" });
    expectError(await call("GET", "/api/v2/collections/badcrn"), 400, "InvalidArgumentError", /CRN must be in the format/);
  });

  it("keeps collections in their tenant and database", async () => {
    const { id } = await seeded();
    expect((await call("POST", "/api/v2/tenants", { name: "other_tenant" })).status).toBe(200);
    expect((await call("POST", "/api/v2/tenants/other_tenant/databases", { name: "other_db" })).status).toBe(200);
    const other = `/api/v2/tenants/other_tenant/databases/other_db/collections/${id}`;
    expectError(await call("POST", `${other}/get`, {}), 404, "NotFoundError");
    expectError(await call("POST", `${other}/add`, { ids: ["x"], embeddings: [[1, 2, 3]] }), 404, "NotFoundError");
    expectError(await call("GET", `/api/v2/tenants/other_tenant/databases/other_db/collections/by-id/${id}`), 404, "NotFoundError");
  });
});

describe("tenants and databases", () => {
  it("answer CRUD like Chroma", async () => {
    expect((await call("POST", "/api/v2/tenants", { name: "crud_tenant" })).body).toEqual({});
    expectError(await call("POST", "/api/v2/tenants", { name: "crud_tenant" }), 409, "ChromaError", "Tenant [crud_tenant] already exists");
    expectError(await call("POST", "/api/v2/tenants", {}), 422, "ChromaError", /missing field `name`/);
    expectError(await call("POST", "/api/v2/tenants", { name: "t1" }), 400, "InvalidArgumentError");
    expect((await call("GET", "/api/v2/tenants/crud_tenant")).body).toEqual({ name: "crud_tenant", resource_name: null });
    expectError(await call("GET", "/api/v2/tenants/nope_tenant"), 404, "NotFoundError", "Tenant [nope_tenant] not found");

    const dbs = "/api/v2/tenants/crud_tenant/databases";
    expect((await call("POST", dbs, { name: "db_one" })).body).toEqual({});
    expectError(await call("POST", dbs, { name: "db_one" }), 409, "ChromaError", "Database [db_one] already exists");
    expectError(await call("POST", dbs, { name: "d1" }), 400, "InvalidArgumentError", /^Expected a name containing 3-512 characters/);
    const list = (await call("GET", dbs)).body as { id: string; name: string; tenant: string }[];
    expect(list.map((d) => [d.name, d.tenant])).toEqual([["db_one", "crud_tenant"]]);
    expect((await call("GET", `${dbs}/db_one`)).body).toEqual(list[0]);
    expect((await call("DELETE", `${dbs}/db_one`)).body).toEqual({});
    expectError(await call("GET", `${dbs}/db_one`), 404, "NotFoundError");
    expectError(await call("DELETE", `${dbs}/db_one`), 404, "NotFoundError");
  });
});

describe("records", () => {
  it("returns get and query bodies with nulls for fields not included", async () => {
    const { path } = await seeded();
    const get = await call("POST", `${path}/get`, { ids: ["a"], include: ["embeddings"] });
    expect(get.text).toBe('{"ids":["a"],"embeddings":[[1,0,0]],"documents":null,"uris":null,"metadatas":null,"include":["embeddings"]}');
    expect((await call("POST", `${path}/get`, {})).body).toEqual({
      ids: ["c", "a", "b"],
      embeddings: null,
      documents: ["doc C", "doc A", null],
      uris: null,
      metadatas: [{ k: 3, s: "c" }, { k: 1, s: "a" }, null],
      include: ["documents", "metadatas"],
    });
    expect((await call("POST", `${path}/get`, { ids: ["a"], include: ["distances"] })).body).toEqual({
      ids: ["a"],
      embeddings: null,
      documents: null,
      uris: null,
      metadatas: null,
      include: ["distances"],
    });
    const query = await call("POST", `${path}/query`, { query_embeddings: [[1, 0, 0]], n_results: 2, include: ["distances", "uris"] });
    expect(query.body).toEqual({
      ids: [["a", "c"]],
      embeddings: null,
      documents: null,
      uris: [[null, null]],
      metadatas: null,
      distances: [[0, 2]],
      include: ["distances", "uris"],
    });
    expect((await call("POST", `${path}/query`, { query_embeddings: [], n_results: 2 })).body).toEqual({
      ids: [],
      embeddings: null,
      documents: [],
      uris: null,
      metadatas: [],
      distances: [],
      include: ["documents", "metadatas", "distances"],
    });
    expect((await call("POST", `${path}/query`, { query_embeddings: [[1, 0, 0]], n_results: 0 })).body).toMatchObject({
      ids: [[]],
      distances: [[]],
    });
    expect((await call("GET", `${path}/count`)).body).toBe(3);
  });

  it("accepts base64 and plain embeddings and returns float32 values in shortest form", async () => {
    const { path } = await seeded();
    expect((await call("POST", `${path}/add`, { ids: ["f"], embeddings: ["zczMPc3MTD6amZk+"] })).status).toBe(201); // [0.1, 0.2, 0.3]
    expect((await call("POST", `${path}/add`, { ids: ["p"], embeddings: [[0.5, 0.25, 0.125]] })).status).toBe(201);
    const res = await call("POST", `${path}/get`, { ids: ["f", "p"], include: ["embeddings"] });
    expect((res.body as { embeddings: number[][] }).embeddings).toEqual([
      [0.1, 0.2, 0.3],
      [0.5, 0.25, 0.125],
    ]);
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: ["!!!!"] }), 400, "InvalidArgumentError", /^Invalid base64 string/);
    expectError(
      await call("POST", `${path}/add`, { ids: ["x"], embeddings: ["AAAA"] }),
      400,
      "InvalidArgumentError",
      "Invalid byte length: 3 bytes cannot be converted to f32 values (must be divisible by 4)",
    );
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1, "x", 3]] }), 422, "ChromaError", /EmbeddingsPayload/);
    expectError(await call("POST", `${path}/add`, { ids: ["x", "y"], embeddings: ["AACAPwAAAEAAAEBA", [1, 2, 3]] }), 422, "ChromaError");
    expectError(
      await call("POST", `${path}/add`, { ids: ["x"], embeddings: [base64Embedding([1, 2])] }),
      400,
      "InvalidArgumentError",
      "Collection expecting embedding with dimension of 3, got 2",
    );
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1e40, 0, 0]] }), 400, "InvalidArgumentError");
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[]] }), 400, "InvalidArgumentError");
    expectError(await call("POST", `${path}/add`, { ids: ["x", "y"], embeddings: [[1, 2, 3]] }), 400, "InvalidArgumentError");
  });

  it("validates add like Chroma's server (not its client)", async () => {
    const { path } = await seeded();
    expectError(await call("POST", `${path}/add`, { ids: ["x"], documents: ["d"] }), 422, "ChromaError", /missing field `embeddings`/);
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: null }), 422, "ChromaError");
    expectError(await call("POST", `${path}/add`, { embeddings: [[1, 2, 3]] }), 422, "ChromaError", /missing field `ids`/);
    expectError(await call("POST", `${path}/add`, { ids: [1], embeddings: [[1, 2, 3]] }), 422, "ChromaError", /ids\[0\]/);
    expectError(await call("POST", `${path}/add`, { ids: [""], embeddings: [[1, 2, 3]] }), 400, "InvalidArgumentError", /^Empty ID/);
    expectError(
      await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1, 1, 1]], metadatas: [{ n: null }] }),
      422,
      "ChromaError",
      /metadatas\[0\]\.n: data did not match any variant of untagged enum MetadataValue/,
    );
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1, 1, 1]], metadatas: [{ o: { x: 1 } }] }), 422, "ChromaError");
    expectError(await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1, 1, 1]], metadatas: [{ arr: [1, "a"] }] }), 422, "ChromaError");
    expectError(
      await call("POST", `${path}/add`, { ids: ["x"], embeddings: [[1, 1, 1]], metadatas: [{ $bad: 1 }] }),
      400,
      "InvalidArgumentError",
      "Validation error: metadatas: Invalid metadata at index 0",
    );
    // Empty batches are fine; an empty array value carries no type and is dropped (as Chroma does).
    expect((await call("POST", `${path}/add`, { ids: [], embeddings: [] })).status).toBe(201);
    expect((await call("POST", `${path}/add`, { ids: ["ea"], embeddings: [[1, 1, 1]], metadatas: [{ arr: [] }] })).status).toBe(201);
    expect(((await call("POST", `${path}/get`, { ids: ["ea"] })).body as { metadatas: unknown[] }).metadatas).toEqual([null]);
    // Duplicate ids in one batch: add keeps the first, upsert the last.
    expect((await call("POST", `${path}/add`, { ids: ["rq", "rq"], embeddings: [[1, 1, 1], [2, 2, 2]] })).status).toBe(201);
    expect((await call("POST", `${path}/upsert`, { ids: ["ru", "ru"], embeddings: [[1, 1, 1], [2, 2, 2]] })).status).toBe(200);
    const got = await call("POST", `${path}/get`, { ids: ["rq", "ru"], include: ["embeddings"] });
    expect((got.body as { embeddings: number[][] }).embeddings).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    // An existing id is left as it is.
    expect((await call("POST", `${path}/add`, { ids: ["a"], embeddings: [[5, 5, 5]], documents: ["DUP"] })).status).toBe(201);
    expect(((await call("POST", `${path}/get`, { ids: ["a"] })).body as { documents: unknown[] }).documents).toEqual(["doc A"]);
  });

  it("updates and upserts with null metadata values deleting keys", async () => {
    const { path } = await seeded();
    expect((await call("POST", `${path}/update`, { ids: ["c"], metadatas: [{ k: null, n: 1 }] })).status).toBe(200);
    expect((await call("POST", `${path}/update`, { ids: ["c"], documents: [null] })).status).toBe(200); // null: keep
    expect((await call("POST", `${path}/update`, { ids: ["c", "missing"], documents: ["C2", "x"] })).status).toBe(200);
    expect((await call("POST", `${path}/upsert`, { ids: ["a"], embeddings: [[1, 0, 0]], metadatas: [{ s: null }] })).status).toBe(200);
    expect((await call("POST", `${path}/upsert`, { ids: ["n"], embeddings: [[1, 1, 1]], metadatas: [{ gone: null, z: 1 }] })).status).toBe(200);
    const got = (await call("POST", `${path}/get`, { ids: ["c", "a", "n", "missing"] })).body as { ids: string[]; documents: unknown[]; metadatas: unknown[] };
    expect(got.ids).toEqual(["c", "a", "n"]);
    expect(got.documents).toEqual(["C2", "doc A", null]);
    expect(got.metadatas).toEqual([{ s: "c", n: 1 }, { k: 1 }, { z: 1 }]);
    expectError(await call("POST", `${path}/upsert`, { ids: ["z"], documents: ["x"] }), 422, "ChromaError", /missing field `embeddings`/);
    expectError(await call("POST", `${path}/update`, { ids: ["c"], embeddings: [base64Embedding([1, 2])] }), 400, "InvalidArgumentError");
    // All-null embeddings in an update mean "keep them"; a mix is refused (a chromalite limitation).
    expect((await call("POST", `${path}/update`, { ids: ["c"], embeddings: [null] })).status).toBe(200);
    expectError(await call("POST", `${path}/update`, { ids: ["c", "a"], embeddings: [null, [1, 1, 1]] }), 400, "InvalidArgumentError");
  });

  it("validates get, query and delete requests", async () => {
    const { path } = await seeded();
    expectError(
      await call("POST", `${path}/get`, { include: ["bogus"] }),
      422,
      "ChromaError",
      "Failed to deserialize the JSON body into the target type: include[0]: unknown variant `bogus`, expected one of `distances`, `documents`, `embeddings`, `metadatas`, `uris`",
    );
    expectError(await call("POST", `${path}/get`, { include: null }), 422, "ChromaError");
    expectError(await call("POST", `${path}/get`, { limit: -1 }), 422, "ChromaError", /limit: invalid value: integer `-1`, expected u32/);
    expectError(await call("POST", `${path}/get`, { limit: 1.5 }), 422, "ChromaError");
    expectError(await call("POST", `${path}/get`, { where: { k: { $foo: 1 } } }), 400, "InvalidArgumentError");
    expectError(await call("POST", `${path}/get`, { where: {} }), 400, "InvalidArgumentError");
    expectError(await call("POST", `${path}/get`, { where_document: { $regex: "([" } }), 400, "InvalidArgumentError");
    expect((await call("POST", `${path}/get`, { where: null, where_document: null, ids: null, limit: null, offset: null })).status).toBe(200);
    expect(((await call("POST", `${path}/get`, { ids: ["a", "a"] })).body as { ids: string[] }).ids).toEqual(["a"]);
    expectError(await call("POST", `${path}/query`, {}), 422, "ChromaError", /missing field `query_embeddings`/);
    expectError(await call("POST", `${path}/query`, { query_embeddings: [[1, 0, 0]], n_results: -1 }), 422, "ChromaError");
    expectError(await call("POST", `${path}/query`, { query_embeddings: [[1, 0]] }), 400, "InvalidArgumentError", /dimension of 3, got 2/);
    // Chroma answers 500 for an unknown id in a query's ids; chromalite answers normally.
    expect((await call("POST", `${path}/query`, { query_embeddings: [[1, 0, 0]], ids: ["a", "missing"] })).body).toMatchObject({ ids: [["a"]] });
    expectError(
      await call("POST", `${path}/delete`, { ids: [] }),
      400,
      "InvalidArgumentError",
      "Validation error: ids, where: Either ids or where must be specified",
    );
    expect((await call("POST", `${path}/delete`, {})).body).toEqual({ deleted: 0 });
    expect((await call("POST", `${path}/delete`, { ids: ["a", "b"], where: { k: 1 } })).body).toEqual({ deleted: 1 });
    // chromalite reports the records actually deleted (Chroma reports the number of ids asked).
    expect((await call("POST", `${path}/delete`, { ids: ["c", "missing"] })).body).toEqual({ deleted: 1 });
    expect((await call("GET", `${path}/count`)).body).toBe(1);
  });

  it("answers Chroma's not-implemented errors for fork and functions (search is answered: test/text)", async () => {
    const { path } = await seeded();
    const searched = await call("POST", `${path}/search`, { searches: [] });
    expect(searched.status).toBe(200);
    expect(searched.body).toEqual({ ids: [], documents: [], embeddings: [], metadatas: [], scores: [], select: [] });
    expectError(await call("POST", `${path}/search`, {}), 422, "ChromaError", /missing field `searches`/);
    expectError(await call("POST", `${path}/fork`, { new_name: "forked" }), 501, "ChromaError", "Collection forking is unsupported for local chroma");
    expectError(await call("GET", `${path}/fork_count`), 501, "ChromaError", "Count forks is unsupported for local chroma");
    expectError(await call("GET", `${path}/functions/foo`), 404, "NotFoundError", "Attached function not found");
    expectError(await call("POST", `${path}/functions/attach`, { name: "f" }), 501, "ChromaError");
    expectError(await call("POST", `${TD}/collections/00000000-0000-0000-0000-000000000000/search`, { searches: [] }), 404, "NotFoundError");
  });

  it("reports indexing status (the real Chroma answers 500 here)", async () => {
    const { path } = await seeded();
    expect((await call("GET", `${path}/indexing_status`)).body).toMatchObject({ total_ops: 3 });
  });
});

describe("limits and options", () => {
  it("refuses batches larger than the max batch size", async () => {
    const s = await startChromalite({ maxBatchSize: 10 });
    try {
      expect((await request(s.url, "GET", "/api/v2/pre-flight-checks")).body).toMatchObject({ max_batch_size: 10 });
      const id = ((await request(s.url, "POST", `${TD}/collections`, { name: "batch" })).body as { id: string }).id;
      const ids = Array.from({ length: 11 }, (_, i) => `r${i}`);
      const res = await request(s.url, "POST", `${TD}/collections/${id}/add`, { ids, embeddings: ids.map(() => [1]) });
      expectError(res, 400, "InvalidArgumentError", /exceeds max batch size 10/);
    } finally {
      await s.close();
    }
  });

  it("resets everything when allowed", async () => {
    const s = await startChromalite({ allowReset: true });
    try {
      await request(s.url, "POST", `${TD}/collections`, { name: "doomed" });
      const res = await request(s.url, "POST", "/api/v2/reset");
      expect(res.status).toBe(200);
      expect(res.text).toBe("true");
      expect((await request(s.url, "GET", `${TD}/collections_count`)).body).toBe(0);
      expect((await request(s.url, "POST", `${TD}/collections`, { name: "reborn" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("writes an access log line per request", async () => {
    const lines: string[] = [];
    const s = await startChromalite({ accessLog: (line) => lines.push(line) });
    try {
      await request(s.url, "GET", "/api/v2/heartbeat");
      await request(s.url, "GET", "/api/v2/nothing");
      await new Promise((r) => setTimeout(r, 20));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/"GET \/api\/v2\/heartbeat" 200 \d+ [\d.]+ms$/);
      expect(lines[1]).toMatch(/"GET \/api\/v2\/nothing" 404 /);
    } finally {
      await s.close();
    }
  });

  it("rejects unknown options and bad ports", async () => {
    await expect(startChromalite({ bogus: 1 } as never)).rejects.toThrow(/Unknown server option 'bogus'/);
    await expect(startChromalite({ port: 70000 })).rejects.toThrow(/port/);
  });

  it("reports a port that is taken", async () => {
    await expect(startChromalite({ port: t.port })).rejects.toThrow(/already in use/);
  });
});
