/** Official-client operations where chromalite goes beyond what the real single-node Chroma answers. */
import { ChromaClient, ChromaServerError } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChromalite, type ChromaliteTarget } from "./helpers.js";

let t: ChromaliteTarget;
beforeAll(async () => {
  t = await startChromalite({ allowReset: true });
});
afterAll(async () => {
  await t?.close();
});

describe("official client extras", () => {
  it("reports indexing status, serves CRN lookups and resets when allowed", async () => {
    const client = new ChromaClient({ host: t.host, port: t.port });
    const c = await client.createCollection({ name: "extras", embeddingFunction: null });
    await c.add({ ids: ["a", "b"], embeddings: [[1, 0], [0, 1]] });
    expect(await c.getIndexingStatus()).toMatchObject({ total_ops: 2 });
    expect((await client.getCollectionByCrn("default_tenant:default_database:extras")).id).toBe(c.id);
    await expect(c.fork({ name: "forked" })).rejects.toBeInstanceOf(ChromaServerError); // 501, as in Chroma
    await client.reset();
    expect(await client.countCollections()).toBe(0);
  });
});
