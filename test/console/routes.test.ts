/**
 * The console's JSON endpoints over HTTP, without a browser: the catalog leaves indexes unloaded, the
 * map's vectors for UMAP, health on held-out queries, verify, a search's explain with BM25 split by
 * term, the asset route serving only its own files, the endpoints listed in /openapi.json, and the
 * server's `console: false`, which serves none of it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { consoleApiRoutes } from "../../src/server/console-routes.js";
import { openApiPath } from "../../src/server/openapi.js";
import { addRecords, api, buildConsole, createCollection, TOKEN } from "./helpers.js";

const servers: RunningServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function serve(dir: string, options: { console?: boolean } = {}): Promise<RunningServer> {
  const s = await startServer({ path: dir, host: "127.0.0.1", port: 0, authToken: TOKEN, ...options });
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

    const health = await api<{ count: number; recall: { queries: number; recall: number; queries_from: string }; indexing: { total_ops: number } }>(s, "GET", `${C}/${id}/health`);
    expect(health.body).toMatchObject({ count: 3, recall: { queries: 3, recall: 1 }, indexing: { total_ops: 3 } });
    expect(health.body.recall.queries_from).toContain("nearest other record");
    const verify = await api<{ ok: boolean; collections: { id: string }[] }>(s, "GET", "/console/api/verify");
    expect(verify.body.ok).toBe(true);
    expect(verify.body.collections.map((c) => c.id)).toEqual([id]);

    // A collection of another database is not reachable through this path's tenant/database.
    expect((await api(s, "GET", `/console/api/tenants/acme/databases/default_database/collections/${id}/health`)).status).toBe(404);

    for (const name of ["main.js", "umap-js.min.js", "chart.umd.min.js", "umap-worker.js", "map.js"]) {
      const r = await fetch(`${s.url}/console/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    }
    for (const bad of ["..%2F..%2Fpackage.json", "main.ts", "Main.js", "%2Fetc%2Fpasswd"]) {
      expect((await fetch(`${s.url}/console/assets/${bad}`)).status, bad).toBe(404);
    }
  });

  it("health measures recall on held-out queries: none of them is a record", async () => {
    const { heldOutRadius, perturbed, euclidean } = await import("../../src/console/held-out.js");
    const v = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 2, 0])];
    const moved = perturbed(v, [0.5, 0.25], 7);
    expect(moved.map((m, i) => euclidean(m, v[i]!))).toEqual([expect.closeTo(0.5, 5), expect.closeTo(0.25, 5)]);
    expect(perturbed(v, [0.5, 0.25], 7)).toEqual(moved); // seeded
    expect(perturbed(v, [0, 0])).toEqual(v);
    // The radius: the nearest neighbour that is not the vector itself, else 1% of its length.
    expect(heldOutRadius(v[0]!, [v[0]!, null, v[1]!])).toBeCloseTo(Math.sqrt(5), 6);
    expect(heldOutRadius(Float32Array.from([3, 4]), [Float32Array.from([3, 4])])).toBeCloseTo(0.05, 6);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-health-"));
    dirs.push(dir);
    const s = await serve(dir);
    const id = await createCollection(s, "grid");
    // A grid with unit spacing: each record's nearest other is 1 away, so each query is 1 off a record.
    const embeddings = Array.from({ length: 400 }, (_, i) => [i % 20, Math.floor(i / 20)]);
    await addRecords(s, id, { ids: embeddings.map((_, i) => `g${i}`), embeddings });
    const h = await api<{ recall: { queries: number; recall: number; k: number } }>(s, "GET", `${C}/${id}/health`);
    expect(h.body.recall).toMatchObject({ queries: 50, k: 10 });
    expect(h.body.recall.recall).toBeGreaterThan(0.5);
    // One record only: no neighbour to measure by; the route still answers.
    const lone = await createCollection(s, "lone");
    await addRecords(s, lone, { ids: ["x"], embeddings: [[3, 4]] });
    expect((await api<{ recall: { queries: number; recall: number } }>(s, "GET", `${C}/${lone}/health`)).body.recall).toMatchObject({ queries: 1, recall: 1 });
  });

  it("search/explain: search's result, and per hit each Knn's part, BM25 split by query term; filter clauses matched", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-sx-"));
    dirs.push(dir);
    const s = await serve(dir);
    const id = await createCollection(s, "docs");
    const documents = ["red apples and green pears", "red red wine", "green tea", "apples, apples"];
    await addRecords(s, id, { ids: ["a", "b", "c", "d"], embeddings: documents.map((_, i) => [i, 1]), documents, metadatas: documents.map((_, i) => ({ i })) });
    const search = { rank: { $knn: { query: "red apples", key: "#document" } }, filter: { $and: [{ i: { $lt: 3 } }, { "#document": { $contains: "red" } }] }, select: { keys: ["#score"] } };
    const out = await api<{ result: { ids: string[][]; scores: number[][] }; explains: { hits: { id: string; knns: { key: string; score: number; terms: { term: string; score: number }[] }[] }[] }[]; clauses: { clause: string; matched: string[] }[][] }>(
      s,
      "POST",
      `${C}/${id}/search/explain`,
      { searches: [search] },
    );
    expect(out.status).toBe(200);
    const plain = await api<{ ids: string[][]; scores: number[][] }>(s, "POST", `/api/v2/tenants/default_tenant/databases/default_database/collections/${id}/search`, { searches: [search] });
    expect(out.body.result.ids).toEqual(plain.body.ids);
    expect(out.body.result.scores).toEqual(plain.body.scores);
    expect([...out.body.result.ids[0]!].sort()).toEqual(["a", "b"]);
    const a = out.body.explains[0]!.hits.find((x) => x.id === "a")!.knns[0]!;
    expect(a.terms.map((t) => t.term)).toEqual(["red", "appl"]);
    expect(a.terms.reduce((sum, t) => sum + t.score, 0)).toBe(a.score);
    expect(out.body.explains[0]!.hits.find((x) => x.id === "b")!.knns[0]!.terms.map((t) => t.term)).toEqual(["red"]);
    expect(out.body.clauses[0]!.map((c) => c.clause)).toEqual(['{"i":{"$lt":3}}', '{"#document":{"$contains":"red"}}']);
    for (const c of out.body.clauses[0]!) expect([...c.matched].sort()).toEqual(["a", "b"]);
    expect((await api(s, "POST", `${C}/${id}/search/explain`, { searches: [search] }, { token: null })).status).toBe(401);
  });

  it("lists every console endpoint in /openapi.json; console: false serves and lists none of it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-off-"));
    dirs.push(dir);
    type Doc = { paths: Record<string, Record<string, { tags: string[]; responses: Record<string, unknown> }>> };
    const on = await serve(dir);
    const doc = (await (await fetch(`${on.url}/openapi.json`)).json()) as Doc;
    const routes = consoleApiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const [method, routerPath] of routes) {
      const op = doc.paths[openApiPath(routerPath).path]?.[method.toLowerCase()];
      expect(op, `${method} ${routerPath}`).toBeDefined();
      expect(op!.tags).toEqual(["Console"]);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(["200", "401", "403"]) as string[]);
    }
    const consolePaths = Object.keys(doc.paths).filter((p) => p.startsWith("/console/"));
    expect(consolePaths.length).toBe(new Set(routes.map(([, p]) => openApiPath(p).path)).size);
    await on.close();
    servers.splice(servers.indexOf(on), 1);

    const off = await serve(dir, { console: false });
    for (const p of ["/", "/console/assets/main.js", "/console/api/catalog"]) expect((await api(off, "GET", p)).status, p).toBe(404);
    expect((await api(off, "POST", `${C}/00000000-0000-4000-8000-000000000000/explain`, { query_embeddings: [[1]] })).status).toBe(404);
    expect((await api(off, "GET", "/api/v2/heartbeat")).status).toBe(200);
    const offDoc = (await (await fetch(`${off.url}/openapi.json`)).json()) as Doc;
    expect(Object.keys(offDoc.paths).filter((p) => p.startsWith("/console/"))).toEqual([]);
    expect(Object.keys(offDoc.paths)).toContain("/api/v2/heartbeat");
  });
});
