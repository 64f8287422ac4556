/** Token auth: `x-chroma-token` or `Authorization: Bearer`; missing → 401, wrong → 403; probes stay open. */
import { ChromaClient, ChromaForbiddenError, ChromaUnauthorizedError } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startChromalite, TD, type ChromaliteTarget } from "./helpers.js";

const TOKEN = "s3cret-token";
let t: ChromaliteTarget;

beforeAll(async () => {
  t = await startChromalite({ authToken: TOKEN });
});
afterAll(async () => {
  await t?.close();
});

describe("token auth", () => {
  it("leaves heartbeat, healthcheck and version open", async () => {
    expect((await request(t.url, "GET", "/api/v2/heartbeat")).status).toBe(200);
    expect((await request(t.url, "GET", "/api/v2/healthcheck")).status).toBe(200);
    expect((await request(t.url, "GET", "/api/v2/version")).status).toBe(200);
  });

  it("answers 401 without a token and 403 with a wrong one", async () => {
    for (const path of [`${TD}/collections`, "/api/v2/pre-flight-checks", "/api/v2/auth/identity", "/api/v2/tenants/default_tenant"]) {
      const missing = await request(t.url, "GET", path);
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({ error: "AuthorizationError" });
      const wrong = await request(t.url, "GET", path, undefined, { "x-chroma-token": "nope" });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({ error: "AuthError" });
      expect((await request(t.url, "GET", path, undefined, { authorization: "Bearer nope" })).status).toBe(403);
    }
    // A rejected request changes nothing, even with a body.
    expect((await request(t.url, "POST", `${TD}/collections`, { name: "sneaky" })).status).toBe(401);
    const list = await request(t.url, "GET", `${TD}/collections`, undefined, { "x-chroma-token": TOKEN });
    expect(list.body).toEqual([]);
  });

  it("accepts the token in either header", async () => {
    expect((await request(t.url, "GET", `${TD}/collections_count`, undefined, { "x-chroma-token": TOKEN })).status).toBe(200);
    expect((await request(t.url, "GET", `${TD}/collections_count`, undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(
      200,
    );
    expect((await request(t.url, "GET", `${TD}/collections_count`, undefined, { authorization: `bearer ${TOKEN}` })).status).toBe(
      200,
    );
  });

  it("works with the official client given the header", async () => {
    const client = new ChromaClient({ host: t.host, port: t.port, headers: { "x-chroma-token": TOKEN } });
    const c = await client.getOrCreateCollection({ name: "authed", embeddingFunction: null });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    expect(await c.count()).toBe(1);

    const anonymous = new ChromaClient({ host: t.host, port: t.port });
    await expect(anonymous.countCollections()).rejects.toBeInstanceOf(ChromaUnauthorizedError);
    const wrong = new ChromaClient({ host: t.host, port: t.port, headers: { authorization: "Bearer wrong" } });
    await expect(wrong.countCollections()).rejects.toBeInstanceOf(ChromaForbiddenError);
  });
});
