/**
 * Chroma's API v2 for the records of a collection (`.../collections/:id/...`): add, upsert, update,
 * count, get, query, delete, search and indexing status, and the collection routes Chroma's
 * single-node server does not offer either. Each handler decodes its request (shape errors → 422) and
 * runs the engine call, which validates values (→ 400), under the request's cancellation scope.
 */
import { InvalidArgumentError, NotFoundError, NotImplementedError } from "../errors.js";
import { parseFilters } from "../model/filter.js";
import { columnsOf, GET_DEFAULT_INCLUDE, QUERY_DEFAULT_INCLUDE } from "../model/include.js";
import type { JsonObject } from "../model/json.js";
import { validateEmbeddings, validateRecordBatch, type WriteKind } from "../model/records.js";
import { searchResponse } from "../model/search-result.js";
import { parseSearchPayload } from "../model/search.js";
import type { Where, WhereDocument } from "../types.js";
import { getResponseJson, queryResponseJson } from "./json.js";
import { checkScopedCollection, COLLECTION, collectionId, run, type Route, type RouteDef } from "./request.js";
import {
  decodeEmbeddings,
  decodeMetadatas,
  optFilter,
  optNullableStringArray,
  optStringArray,
  optU32,
  parseInclude,
  requireField,
  stringArray,
} from "./wire.js";

// ------------------------------------------------------------------ records

function writeRoute(kind: WriteKind): RouteDef {
  return {
    body: true,
    handler: async (ctx) => {
      const id = collectionId(ctx);
      const body = ctx.body;
      const ids = stringArray(requireField(body, "ids"), "ids");
      let embeddings: Float32Array[] | undefined;
      // add and upsert need embeddings (Chroma: "missing field `embeddings`"); update may omit them.
      const rawEmbeddings = kind === "update" ? body.embeddings : requireField(body, "embeddings");
      if (rawEmbeddings !== undefined && (rawEmbeddings !== null || kind !== "update")) {
        const decoded = decodeEmbeddings(rawEmbeddings, "embeddings", { nullEntries: kind === "update" });
        const given = decoded.filter((e) => e !== undefined);
        if (given.length > 0 && given.length < decoded.length) {
          // The engine updates embeddings batch-wise; a per-record "keep" is not supported.
          throw new InvalidArgumentError(
            "chromalite does not accept null entries among the embeddings of an update: give all or none",
          );
        }
        if (given.length > 0 || decoded.length === 0) embeddings = validateEmbeddings(given, null);
      }
      const documents = optNullableStringArray(body, "documents");
      const uris = optNullableStringArray(body, "uris");
      const metadatas = decodeMetadatas(body, kind !== "add");
      await run(ctx, kind, async (scope) => {
        checkScopedCollection(ctx, id);
        // The collection's dimension is checked by the engine under its write lock.
        const batch = validateRecordBatch({ ids, embeddings, documents, metadatas, uris }, kind, {
          mode: "server",
          dimension: null,
          maxBatchSize: ctx.engine.maxBatchSize,
        });
        await ctx.engine.write(id, kind, batch, scope);
      });
      return { status: kind === "add" ? 201 : 200, json: {} };
    },
  };
}

function filtersOf(body: JsonObject) {
  return parseFilters(optFilter(body, "where") as Where | undefined, optFilter(body, "where_document") as WhereDocument | undefined);
}

export const records: Route[] = [
  ["POST", `${COLLECTION}/add`, writeRoute("add")],
  ["POST", `${COLLECTION}/upsert`, writeRoute("upsert")],
  ["POST", `${COLLECTION}/update`, writeRoute("update")],
  [
    "GET",
    `${COLLECTION}/count`,
    {
      handler: async (ctx) => {
        const id = collectionId(ctx);
        return {
          json: await run(ctx, "count", (scope) => {
            checkScopedCollection(ctx, id);
            return ctx.engine.count(id, scope);
          }),
        };
      },
    },
  ],
  [
    "POST",
    `${COLLECTION}/get`,
    {
      body: true,
      handler: async (ctx) => {
        const id = collectionId(ctx);
        const ids = optStringArray(ctx.body, "ids");
        const limit = optU32(ctx.body, "limit");
        const offset = optU32(ctx.body, "offset");
        const include = parseInclude(ctx.body, GET_DEFAULT_INCLUDE);
        const filter = filtersOf(ctx.body);
        const text = await run(ctx, "get", async (scope) => {
          checkScopedCollection(ctx, id);
          const rows = await ctx.engine.get(id, { ids, filter, limit, offset, columns: columnsOf(include) }, scope);
          return getResponseJson(rows, include, scope);
        });
        return { text };
      },
    },
  ],
  [
    "POST",
    `${COLLECTION}/query`,
    {
      body: true,
      handler: async (ctx) => {
        const id = collectionId(ctx);
        const raw = decodeEmbeddings(requireField(ctx.body, "query_embeddings"), "query_embeddings", { nullEntries: false });
        const queries = validateEmbeddings(raw, null, "query_embeddings");
        const nResults = optU32(ctx.body, "n_results") ?? 10;
        const ids = optStringArray(ctx.body, "ids");
        const include = parseInclude(ctx.body, QUERY_DEFAULT_INCLUDE);
        const filter = filtersOf(ctx.body);
        const text = await run(ctx, "query", async (scope) => {
          checkScopedCollection(ctx, id);
          const hits = await ctx.engine.query(id, { queries, nResults, ids, filter, columns: columnsOf(include) }, scope);
          return queryResponseJson(hits, include, scope);
        });
        return { text };
      },
    },
  ],
  [
    "POST",
    `${COLLECTION}/delete`,
    {
      body: true,
      handler: async (ctx) => {
        const id = collectionId(ctx);
        const ids = optStringArray(ctx.body, "ids");
        const limit = optU32(ctx.body, "limit");
        const filter = filtersOf(ctx.body);
        if (ids !== undefined && ids.length === 0 && filter === undefined) {
          throw new InvalidArgumentError("Validation error: ids, where: Either ids or where must be specified");
        }
        const deleted = await run(ctx, "delete", (scope) => {
          checkScopedCollection(ctx, id);
          return ctx.engine.deleteRecords(id, { ids, filter, limit }, scope);
        });
        return { json: { deleted } };
      },
    },
  ],
  [
    // Chroma's Search API, which its single-node server does not offer: see model/search.ts for the subset.
    "POST",
    `${COLLECTION}/search`,
    {
      body: true,
      handler: async (ctx) => {
        const id = collectionId(ctx);
        const searches = requireField(ctx.body, "searches");
        if (!Array.isArray(searches)) throw new InvalidArgumentError("Validation error: searches: expected a list of search payloads");
        const plans = searches.map((s, i) => parseSearchPayload(s, `searches[${i}]`));
        const response = await run(ctx, "search", async (scope) => {
          checkScopedCollection(ctx, id);
          const hits = await ctx.engine.search(id, plans, scope);
          return searchResponse(plans, hits);
        });
        return { json: response };
      },
    },
  ],
  [
    "GET",
    `${COLLECTION}/indexing_status`,
    {
      handler: async (ctx) => {
        const id = collectionId(ctx);
        return {
          json: await run(ctx, "indexingStatus", (scope) => {
            checkScopedCollection(ctx, id);
            return ctx.engine.indexingStatus(id, scope);
          }),
        };
      },
    },
  ],
];

// ------------------------------------------------------------------ not offered (as in single-node Chroma)

function notImplemented(message: string, check?: (body: JsonObject) => void): RouteDef {
  return {
    body: check !== undefined,
    handler: async (ctx) => {
      const id = collectionId(ctx);
      check?.(ctx.body);
      await run(ctx, "notImplemented", () => checkScopedCollection(ctx, id));
      throw new NotImplementedError(message);
    },
  };
}

export const unsupported: Route[] = [
  ["POST", `${COLLECTION}/fork`, notImplemented("Collection forking is unsupported for local chroma", () => undefined)],
  ["GET", `${COLLECTION}/fork_count`, notImplemented("Count forks is unsupported for local chroma")],
  [
    "POST",
    `${COLLECTION}/functions/attach`,
    notImplemented("Attached functions are not supported by chromalite", (body) => requireField(body, "name")),
  ],
  [
    "GET",
    `${COLLECTION}/functions/:function`,
    {
      handler: async (ctx) => {
        const id = collectionId(ctx);
        await run(ctx, "getAttachedFunction", () => checkScopedCollection(ctx, id));
        throw new NotFoundError("Attached function not found");
      },
    },
  ],
  [
    "POST",
    `${COLLECTION}/attached_functions/:function/detach`,
    notImplemented("Attached functions are not supported by chromalite", () => undefined),
  ],
];

/** The whole API under `/api/v2`. */
