/**
 * The console's JSON endpoints over HTTP, without a browser: the catalog leaves indexes unloaded, the
 * map's vectors for UMAP, health, verify, and the asset route serving only its own files.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { addRecords, api, buildConsole, createCollection, TOKEN } from "./helpers.js";

const servers: RunningServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function serve(dir: string): Promise<RunningServer> {
  const s = await startServer({ path: dir, host: "127.0.0.1", port: 0, authToken: TOKEN });
  servers.push(s);
  return s;
}

const C = "/console/api/tenants/default_tenant/databases/default_database/collections";
type Cat = { tenants: { name: string; databases: { collections: { id: string; count: number; indexing: unknown }[] }[] }[] };

describe("console endpoints", () => {
  it("catalog, map vectors, health and verify; assets only by their own names", async () => {
    buildConsole();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-routes-"));
    dirs.push(dir);
    let s = await serve(dir);
    const id = await createCollection(s, "pts");
    await addRecords(s, id, { ids: ["a", "b", "c"], embeddings: [[1, 0], [0, 1], [1, 1]], metadatas: [{ k: "x" }, { k: "y" }, { k: "x" }] });
    await api(s, "POST", "/api/v2/tenants", { name: "acme" });
    await s.close();
    servers.pop();

    // Reopened: the catalog counts records without loading the index; a query loads it.
    s = await serve(dir);
    const before = await api<Cat>(s, "GET", "/console/api/catalog");
    expect(before.body.tenants.map((t) => t.name)).toEqual(["default_tenant", "acme"]);
    expect(before.body.tenants[0]!.databases[0]!.collections[0]).toMatchObject({ id, count: 3, indexing: null });
    await api(s, "POST", `/api/v2/tenants/default_tenant/databases/default_database/collections/${id}/query`, { query_embeddings: [[1, 0]], n_results: 1 });
    const after = await api<Cat>(s, "GET", "/console/api/catalog");
    expect(after.body.tenants[0]!.databases[0]!.collections[0]!.indexing).toMatchObject({ total_ops: 3, num_unindexed_ops: 0 });

    const map = await api<{ ids: string[]; dimension: number; vectors: string; keys: string[]; x: number[] }>(s, "GET", `${C}/${id}/map?vectors=1`);
    expect(map.body.ids).toEqual(["a", "b", "c"]);
    expect(map.body.keys).toEqual(["k"]);
    const floats = new Float32Array(new Uint8Array(Buffer.from(map.body.vectors, "base64")).buffer);
    expect(Array.from(floats)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(map.body.dimension).toBe(2);
    expect((await api<{ vectors?: string }>(s, "GET", `${C}/${id}/map`)).body.vectors).toBeUndefined();

    const health = await api<{ count: number; recall: { queries: number; recall: number }; indexing: { total_ops: number } }>(s, "GET", `${C}/${id}/health`);
    expect(health.body).toMatchObject({ count: 3, recall: { queries: 3, recall: 1 }, indexing: { total_ops: 3 } });
    const verify = await api<{ ok: boolean; collections: { id: string }[] }>(s, "GET", "/console/api/verify");
    expect(verify.body.ok).toBe(true);
    expect(verify.body.collections.map((c) => c.id)).toEqual([id]);

    // A collection of another database is not reachable through this path's tenant/database.
    expect((await api(s, "GET", `/console/api/tenants/acme/databases/default_database/collections/${id}/health`)).status).toBe(404);

    for (const name of ["main.js", "umap-js.min.js", "umap-worker.js"]) {
      const r = await fetch(`${s.url}/console/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    }
    for (const bad of ["..%2F..%2Fpackage.json", "main.ts", "Main.js", "%2Fetc%2Fpasswd"]) {
      expect((await fetch(`${s.url}/console/assets/${bad}`)).status, bad).toBe(404);
    }
  });
});
