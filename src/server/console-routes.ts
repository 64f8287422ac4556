/**
 * The console's routes: the page at `/`, its compiled browser code under `/console/assets/`, and the
 * few JSON endpoints under `/console/api/` that Chroma's API has no equivalent for (the whole
 * catalog at once, a 2D map, search quality and health; explain is console-explain.ts). The
 * server adds them beside the API unless its `console` option is false. The page and its code
 * carry no data and are open; every `/console/api/` route needs the server's token, like the API.
 * Records are read and changed by the page through the API itself (`/api/v2/...`), so the console
 * goes through the same engine calls as any client.
 */
import { embedWith, resolveEmbeddingFunction } from "../embedding/functions.js";
import { indexDirOf } from "../vector/hnsw-index.js";
import { diskSize } from "../engine/inspect.js";
import { verifyFolder } from "../engine/verify.js";
import { bm25SparseVector, bm25Tokens } from "../text/bm25.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import { VERSION } from "../version.js";
import type { Engine } from "../engine/engine.js";
import { HttpError } from "./errors.js";
import { collectionJson } from "./json.js";
import { COLLECTION, collectionId, run, scopedCollection, type RequestContext, type Route } from "./request.js";
import { queryU32, requireField, stringArray, stringField } from "./wire.js";
import { readAsset } from "../console/assets.js";
import { CONSOLE_CSP, CONSOLE_HTML } from "../console/page.js";
import { heldOutRadius, perturbed } from "../console/held-out.js";
import { pca2 } from "../console/pca.js";
import { explainRoutes } from "./console-explain.js";

/** Largest map sample (points drawn); more would not be readable anyway. */
export const MAP_MAX_POINTS = 20_000;
/** Largest sample whose vectors are sent for UMAP (which the browser computes in a Web Worker). */
export const UMAP_MAX_POINTS = 5000;
/** A hovered point shows this much of its document. */
const MAP_DOCUMENT_CHARS = 160;
/** Search quality: held-out queries (see held-out.ts) and k. */
const HEALTH_QUERIES = 50;
const HEALTH_K = 10;
const CATALOG_MAX_COLLECTIONS = 1000;

/** Where the console's JSON endpoints live. */
export const CONSOLE_API = "/console/api";
const API = CONSOLE_API;

function page(): Route[] {
  const html = { text: CONSOLE_HTML, contentType: "text/html; charset=utf-8", headers: { "content-security-policy": CONSOLE_CSP, "cache-control": "no-store" } };
  return [
    ["GET", "/", { open: true, handler: () => html }],
    [
      "GET",
      "/console/assets/:file",
      {
        open: true,
        handler: (ctx) => {
          const text = readAsset(ctx.params.file ?? "");
          if (text === undefined) {
            throw new HttpError(404, `No console asset ${ctx.params.file ?? ""} (was the console built? npm run build)`);
          }
          return { text, contentType: "text/javascript; charset=utf-8", headers: { "x-content-type-options": "nosniff" } };
        },
      },
    ],
  ];
}

/** Evenly spaced runs of records in insertion order: a sample that reads a few pages, not the collection. */
async function sample(
  engine: Engine,
  id: string,
  total: number,
  want: number,
  columns: Parameters<Engine["page"]>[3],
  scope: OperationScope,
) {
  if (total <= want) return engine.page(id, want, 0, columns, scope);
  const runs = Math.min(40, want);
  const size = Math.ceil(want / runs);
  const step = Math.floor(total / runs);
  const out = [];
  for (let r = 0; r < runs; r++) out.push(...(await engine.page(id, size, r * step, columns, scope)));
  return out.slice(0, want);
}

function vectorsBase64(vectors: Float32Array[]): string {
  const d = vectors[0]?.length ?? 0;
  const all = new Float32Array(vectors.length * d);
  vectors.forEach((v, i) => all.set(v, i * d));
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString("base64");
}

const HELD_OUT = "sampled records' vectors, each moved in a random direction (seeded) by the distance to that record's nearest other record";

/** Recall's queries (held-out.ts): the sampled vectors moved off the records, as far as their nearest neighbours. */
async function heldOutQueries(engine: Engine, id: string, records: Float32Array[], scope: OperationScope): Promise<Float32Array[]> {
  const near = await engine.query(id, { queries: records, nResults: 2, columns: { embeddings: true, documents: false, metadatas: false, uris: false } }, scope);
  const radii = records.map((v, i) => heldOutRadius(v, (near[i] ?? []).map((h) => h.row.embedding)));
  return perturbed(records, radii);
}

function collectionRoute(ctx: RequestContext): string {
  const id = collectionId(ctx);
  scopedCollection(ctx, id);
  return id;
}

function api(): Route[] {
  return [
    [
      "GET",
      `${API}/catalog`,
      {
        handler: (ctx) =>
          run(ctx, "console.catalog", async (scope) => {
            const { engine } = ctx;
            const tenants = [];
            for (const tenant of engine.catalog.listTenants()) {
              const databases = [];
              for (const db of engine.catalog.listDatabases(tenant, 10_000, 0)) {
                const collections = [];
                for (const info of engine.catalog.listCollections(tenant, db.name, CATALOG_MAX_COLLECTIONS, 0)) {
                  collections.push({
                    ...collectionJson(info),
                    count: await engine.count(info.id, scope),
                    indexing: engine.loadedIndexingStatus(info.id),
                    index_bytes: diskSize(indexDirOf(engine.path, info.id)),
                  });
                }
                databases.push({ name: db.name, id: db.id, collections });
              }
              tenants.push({ name: tenant, databases });
            }
            return { json: { version: VERSION, path: engine.path, disk_bytes: diskSize(engine.path), tenants } };
          }),
      },
    ],
    [
      "POST",
      `${API}/bm25`,
      {
        body: true,
        // The terms chroma_bm25 makes of a text: what the official client sends as a sparse query.
        handler: (ctx) => {
          // `texts`: the terms of each hit's document, to show which query terms it holds.
          if (ctx.body.texts !== undefined) return { json: { tokens: stringArray(ctx.body.texts, "texts").map((t) => bm25Tokens(t)) } };
          const text = stringField(ctx.body, "text");
          return { json: { ...bm25SparseVector(text), tokens: bm25Tokens(text) } };
        },
      },
    ],
    [
      "POST",
      `${API}${COLLECTION}/embed`,
      {
        body: true,
        // Query texts embedded by the collection's own embedding function, rebuilt from its
        // configuration as the official client does (Chroma's server never embeds; the console does
        // it here so that "query by text" means what queryTexts means in a client).
        handler: (ctx) => {
          const texts = stringArray(requireField(ctx.body, "texts"), "texts");
          return run(ctx, "console.embed", async (scope) => {
            const id = collectionRoute(ctx);
            const info = ctx.engine.catalog.getCollectionById(id);
            const { ef, missing } = await resolveEmbeddingFunction(info.configuration.embedding_function);
            return { json: { embeddings: await embedWith(ef, info.name, texts, "queries", scope, missing) } };
          });
        },
      },
    ],
    [
      "GET",
      `${API}${COLLECTION}/map`,
      {
        handler: (ctx) =>
          run(ctx, "console.map", async (scope) => {
            const id = collectionRoute(ctx);
            // `vectors=1`: the sampled embeddings too (float32, base64, row after row), for UMAP.
            const withVectors = ctx.query.get("vectors") === "1";
            const max = withVectors ? UMAP_MAX_POINTS : MAP_MAX_POINTS;
            const limit = Math.min(queryU32(ctx.query, "limit") ?? max, max);
            const total = await ctx.engine.count(id, scope);
            const started = performance.now();
            const rows = (await sample(ctx.engine, id, total, limit, { embeddings: true, documents: true, metadatas: true, uris: false }, scope)).filter(
              (r) => r.embedding !== null,
            );
            const read = performance.now() - started;
            const { xs, ys, explained } = await pca2(
              rows.map((r) => r.embedding!),
              async () => {
                scope.check();
                await yieldToEventLoop();
              },
            );
            const keys = new Set<string>();
            for (const r of rows) for (const k of Object.keys(r.metadata ?? {})) keys.add(k);
            return {
              json: {
                total,
                sampled: rows.length,
                ms: { read: Math.round(read), pca: Math.round(performance.now() - started - read) },
                ...(withVectors ? { dimension: rows[0]?.embedding?.length ?? 0, vectors: vectorsBase64(rows.map((r) => r.embedding!)) } : {}),
                explained,
                keys: [...keys].slice(0, 200),
                ids: rows.map((r) => r.id),
                x: Array.from(xs, (v) => Math.round(v * 1e5) / 1e5),
                y: Array.from(ys, (v) => Math.round(v * 1e5) / 1e5),
                documents: rows.map((r) => (r.document === null ? null : r.document.slice(0, MAP_DOCUMENT_CHARS))),
                metadatas: rows.map((r) => r.metadata),
              },
            };
          }),
      },
    ],
    [
      "GET",
      `${API}${COLLECTION}/health`,
      {
        handler: (ctx) =>
          run(ctx, "console.health", async (scope) => {
            const id = collectionRoute(ctx);
            const { engine } = ctx;
            const total = await engine.count(id, scope);
            const records = (await sample(engine, id, total, Math.min(HEALTH_QUERIES, total), { embeddings: true, documents: false, metadatas: false, uris: false }, scope))
              .flatMap((r) => (r.embedding ? [r.embedding] : []));
            const queries = await heldOutQueries(engine, id, records, scope);
            const started = performance.now();
            const { exact, ann } = await engine.compareExactAndAnn(id, queries, HEALTH_K, scope);
            const ms = performance.now() - started;
            let found = 0;
            let wanted = 0;
            const perQuery = exact.map((e, i) => {
              const got = new Set(ann[i]);
              const hit = e.filter((rid) => got.has(rid)).length;
              found += hit;
              wanted += e.length;
              return e.length === 0 ? 1 : hit / e.length;
            });
            const memory = process.memoryUsage();
            return {
              json: {
                count: total,
                recall: {
                  k: HEALTH_K,
                  queries: queries.length,
                  queries_from: HELD_OUT,
                  recall: wanted === 0 ? null : found / wanted,
                  worst: perQuery.length ? Math.min(...perQuery) : null,
                  ms: Math.round(ms),
                },
                indexing: await engine.indexingStatus(id, scope),
                disk: { folder_bytes: diskSize(engine.path), index_bytes: diskSize(indexDirOf(engine.path, id)) },
                memory: { rss: memory.rss, heap_used: memory.heapUsed, external: memory.external, array_buffers: memory.arrayBuffers },
              },
            };
          }),
      },
    ],
    [
      "GET",
      `${API}/verify`,
      {
        handler: async (ctx) => {
          await run(ctx, "console.flush", (scope) => ctx.engine.flush(scope));
          return { json: await verifyFolder(ctx.engine.path, { inUse: true }) };
        },
      },
    ],
  ];
}

/** The console's JSON endpoints, under `/console/api/` (listed in /openapi.json). */
export function consoleApiRoutes(): Route[] {
  return [...api(), ...explainRoutes(API)];
}

/** Every console route, at its own path (added to the router beside the API unless the console is off). */
export function consoleRoutes(): Route[] {
  return [...page(), ...consoleApiRoutes()];
}
