/**
 * Chroma's API v2, endpoint by endpoint, on top of the engine. Each handler decodes its request
 * (shape errors → 422), validates values with the model's validators (→ 400) and runs the engine call
 * under the request's cancellation scope (client disconnect, per-request timeout).
 */
import type { CollectionInfo, Engine } from "../engine/engine.js";
import { InvalidArgumentError, NotFoundError, NotImplementedError } from "../errors.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../model/defaults.js";
import type { JsonObject } from "../model/json.js";
import { parseFilters } from "../model/filter.js";
import { parseSearchPayload } from "../model/search.js";
import { searchResponse } from "../model/search-result.js";
import { validateEmbeddings, validateRecordBatch, type WriteKind } from "../model/records.js";
import { columnsOf, GET_DEFAULT_INCLUDE, QUERY_DEFAULT_INCLUDE } from "../model/include.js";
import type { CallOptions, Where, WhereDocument } from "../types.js";
import type { OperationScope } from "../util/abort.js";
import { HttpError } from "./errors.js";
import { collectionJson, getResponseJson, queryResponseJson } from "./json.js";
import { Router } from "./router.js";
import {
  decodeCollectionMetadata,
  decodeCreateConfiguration,
  decodeEmbeddings,
  decodeMetadatas,
  decodeUpdateConfiguration,
  isUuid,
  optBool,
  optFilter,
  optNullableStringArray,
  optString,
  optStringArray,
  optU32,
  parseInclude,
  queryU32,
  requireField,
  stringArray,
  stringField,
  validateDatabaseName,
} from "./wire.js";

/** The version Chroma's server reports; clients compare it, so chromalite reports the same API level. */
export const API_VERSION = "1.0.0";

export interface RequestContext {
  engine: Engine;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON object body (routes declared with `body: true`). */
  body: JsonObject;
  /** Cancellation (client disconnect, shutdown) and the per-request timeout. */
  call: CallOptions;
  /** True while the server is shutting down. */
  closing: boolean;
  /** `POST /reset` is allowed (`allowReset` / `--allow-reset`). */
  allowReset: boolean;
}

export interface Reply {
  status?: number;
  /** A value to serialise, or an already serialised JSON text. */
  json?: unknown;
  text?: string;
}

export interface RouteDef {
  handler: (ctx: RequestContext) => Promise<Reply> | Reply;
  /** The route reads a JSON object body. */
  body?: boolean;
  /** Served without a token when auth is on (liveness probes and version discovery). */
  open?: boolean;
}

function run<T>(ctx: RequestContext, name: string, fn: (scope: OperationScope) => Promise<T> | T): Promise<T> {
  return ctx.engine.run(name, ctx.call, fn);
}

const p = (ctx: RequestContext, name: string): string => ctx.params[name] ?? "";

/** The collection of a record route: a UUID, in the tenant and database of the path. */
function collectionId(ctx: RequestContext): string {
  const id = p(ctx, "id");
  if (!isUuid(id)) throw new InvalidArgumentError("Collection ID is not a valid UUIDv4");
  return id;
}

function scopedCollection(ctx: RequestContext, id: string, message = `Collection [${id}] does not exist.`): CollectionInfo {
  let info: CollectionInfo;
  try {
    info = ctx.engine.catalog.getCollectionById(id);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(message);
    throw err;
  }
  // Chroma itself ignores the tenant and database of record routes; chromalite keeps them apart.
  if (info.tenant !== p(ctx, "tenant") || info.database !== p(ctx, "database")) throw new NotFoundError(message);
  return info;
}

/** Lists in a tenant or database that does not exist are empty, as in Chroma. */
function orEmpty<T>(fn: () => T, empty: T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NotFoundError) return empty;
    throw err;
  }
}

// ------------------------------------------------------------------ system

const system: [string, string, RouteDef][] = [
  ["GET", "/heartbeat", { open: true, handler: () => ({ text: `{"nanosecond heartbeat":${BigInt(Date.now()) * 1_000_000n}}` }) }],
  ["GET", "/version", { open: true, handler: () => ({ json: API_VERSION }) }],
  [
    "GET",
    "/healthcheck",
    {
      open: true,
      handler: (ctx) => {
        if (ctx.closing || ctx.engine.closed) throw new HttpError(503, "The server is shutting down");
        return { json: { is_executor_ready: true, is_log_client_ready: true } };
      },
    },
  ],
  [
    "GET",
    "/pre-flight-checks",
    { handler: (ctx) => ({ json: { max_batch_size: ctx.engine.maxBatchSize, supports_base64_encoding: true } }) },
  ],
  [
    "GET",
    "/auth/identity",
    { handler: () => ({ json: { user_id: "", tenant: DEFAULT_TENANT, databases: [DEFAULT_DATABASE] } }) },
  ],
  [
    "POST",
    "/reset",
    {
      handler: async (ctx) => {
        await ctx.engine.reset(ctx.call, { allowed: ctx.allowReset });
        return { json: true };
      },
    },
  ],
  [
    "GET",
    "/collections/:crn",
    {
      handler: async (ctx) => {
        const parts = p(ctx, "crn").split(":");
        if (parts.length !== 3 || parts.some((x) => x.length === 0)) {
          throw new InvalidArgumentError(
            "Validation error: crn: CRN must be in the format <tenant_resource_name>:<database_name>:<collection_name> with non-empty parts",
          );
        }
        const [tenant, database, name] = parts as [string, string, string];
        return { json: collectionJson(await run(ctx, "getCollectionByCrn", () => ctx.engine.catalog.getCollection(tenant, database, name))) };
      },
    },
  ],
];

// ------------------------------------------------------------------ tenants and databases

const TENANT = "/tenants/:tenant";
const DATABASE = `${TENANT}/databases/:database`;

const tenants: [string, string, RouteDef][] = [
  [
    "POST",
    "/tenants",
    {
      body: true,
      handler: async (ctx) => {
        const name = stringField(ctx.body, "name");
        // Chroma's server wants 3+ characters (the embedded client does not); the engine checks the rest.
        if (name.length < 3) throw new InvalidArgumentError("Validation error: name: tenant name must be at least 3 characters");
        await run(ctx, "createTenant", () => ctx.engine.catalog.createTenant(name));
        return { json: {} };
      },
    },
  ],
  [
    "GET",
    TENANT,
    {
      handler: async (ctx) => {
        const tenant = await run(ctx, "getTenant", () => ctx.engine.catalog.getTenant(p(ctx, "tenant")));
        return { json: { name: tenant.name, resource_name: null } };
      },
    },
  ],
  [
    "PATCH",
    TENANT,
    {
      body: true,
      handler: async (ctx) => {
        stringField(ctx.body, "resource_name");
        await run(ctx, "updateTenant", () => ctx.engine.catalog.getTenant(p(ctx, "tenant")));
        throw new NotImplementedError("Tenant resource names are not supported by chromalite");
      },
    },
  ],
  [
    "GET",
    `${TENANT}/databases`,
    {
      handler: async (ctx) => {
        const limit = queryU32(ctx.query, "limit") ?? -1;
        const offset = queryU32(ctx.query, "offset") ?? 0;
        const dbs = await run(ctx, "listDatabases", () =>
          orEmpty(() => ctx.engine.catalog.listDatabases(p(ctx, "tenant"), limit, offset), []),
        );
        return { json: dbs.map((d) => ({ id: d.id, name: d.name, tenant: d.tenant })) };
      },
    },
  ],
  [
    "POST",
    `${TENANT}/databases`,
    {
      body: true,
      handler: async (ctx) => {
        // Chroma's server holds database names to the collection-name rule; the engine checks the rest.
        const name = validateDatabaseName(stringField(ctx.body, "name"));
        await run(ctx, "createDatabase", () => ctx.engine.catalog.createDatabase(p(ctx, "tenant"), name));
        return { json: {} };
      },
    },
  ],
  [
    "GET",
    DATABASE,
    {
      handler: async (ctx) => {
        const db = await run(ctx, "getDatabase", () => ctx.engine.catalog.getDatabase(p(ctx, "tenant"), p(ctx, "database")));
        return { json: { id: db.id, name: db.name, tenant: db.tenant } };
      },
    },
  ],
  [
    "DELETE",
    DATABASE,
    {
      handler: async (ctx) => {
        await run(ctx, "deleteDatabase", (scope) => ctx.engine.catalog.deleteDatabase(p(ctx, "tenant"), p(ctx, "database"), scope));
        return { json: {} };
      },
    },
  ],
];

// ------------------------------------------------------------------ collections

const COLLECTIONS = `${DATABASE}/collections`;
const COLLECTION = `${COLLECTIONS}/:id`;

const collections: [string, string, RouteDef][] = [
  [
    "GET",
    COLLECTIONS,
    {
      handler: async (ctx) => {
        const limit = queryU32(ctx.query, "limit") ?? -1;
        const offset = queryU32(ctx.query, "offset") ?? 0;
        const list = await run(ctx, "listCollections", () =>
          orEmpty(() => ctx.engine.catalog.listCollections(p(ctx, "tenant"), p(ctx, "database"), limit, offset), []),
        );
        return { json: list.map(collectionJson) };
      },
    },
  ],
  [
    "GET",
    `${DATABASE}/collections_count`,
    {
      handler: async (ctx) => ({
        json: await run(ctx, "countCollections", () =>
          orEmpty(() => ctx.engine.catalog.countCollections(p(ctx, "tenant"), p(ctx, "database")), 0),
        ),
      }),
    },
  ],
  [
    "POST",
    COLLECTIONS,
    {
      body: true,
      handler: async (ctx) => {
        const name = stringField(ctx.body, "name");
        const metadata = decodeCollectionMetadata(ctx.body, "metadata", false);
        const configuration = decodeCreateConfiguration(ctx.body);
        const getOrCreate = optBool(ctx.body, "get_or_create") ?? false;
        const { info } = await run(ctx, "createCollection", (scope) =>
          ctx.engine.catalog.createCollection(
            {
              tenant: p(ctx, "tenant"),
              database: p(ctx, "database"),
              name,
              metadata,
              hnsw: configuration.hnsw,
              embeddingFunction: configuration.embeddingFunction,
              getOrCreate,
            },
            scope,
          ),
        );
        return { json: collectionJson(info) };
      },
    },
  ],
  [
    "GET",
    `${COLLECTIONS}/by-id/:id`,
    {
      handler: async (ctx) => {
        const id = p(ctx, "id");
        if (!isUuid(id)) {
          throw new InvalidArgumentError("Validation error: collection_id: Invalid collection ID format, expected UUID");
        }
        const info = await run(ctx, "getCollectionById", () => scopedCollection(ctx, id, `Collection [${id}] does not exist`));
        return { json: collectionJson(info) };
      },
    },
  ],
  [
    // Chroma's GET and DELETE of `collections/{x}` take the collection's NAME, PUT takes its id.
    "GET",
    COLLECTION,
    {
      handler: async (ctx) => ({
        json: collectionJson(
          await run(ctx, "getCollection", () => ctx.engine.catalog.getCollection(p(ctx, "tenant"), p(ctx, "database"), p(ctx, "id"))),
        ),
      }),
    },
  ],
  [
    "DELETE",
    COLLECTION,
    {
      handler: async (ctx) => {
        await run(ctx, "deleteCollection", (scope) =>
          ctx.engine.catalog.deleteCollection(p(ctx, "tenant"), p(ctx, "database"), p(ctx, "id"), scope),
        );
        return { json: {} };
      },
    },
  ],
  [
    "PUT",
    COLLECTION,
    {
      body: true,
      handler: async (ctx) => {
        const id = collectionId(ctx);
        const name = optString(ctx.body, "new_name");
        const metadata = decodeCollectionMetadata(ctx.body, "new_metadata", true);
        const configuration = decodeUpdateConfiguration(ctx.body);
        await run(ctx, "modifyCollection", (scope) => {
          scopedCollection(ctx, id);
          return ctx.engine.catalog.modifyCollection(
            id,
            { name, metadata, hnsw: configuration.hnsw, embeddingFunction: configuration.embeddingFunction },
            scope,
          );
        });
        return { json: {} };
      },
    },
  ],
];

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
        scopedCollection(ctx, id);
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

const records: [string, string, RouteDef][] = [
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
            scopedCollection(ctx, id);
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
          scopedCollection(ctx, id);
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
          scopedCollection(ctx, id);
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
          scopedCollection(ctx, id);
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
          scopedCollection(ctx, id);
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
            scopedCollection(ctx, id);
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
      await run(ctx, "notImplemented", () => scopedCollection(ctx, id));
      throw new NotImplementedError(message);
    },
  };
}

const unsupported: [string, string, RouteDef][] = [
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
        await run(ctx, "getAttachedFunction", () => scopedCollection(ctx, id));
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
export function buildRouter(): Router<RouteDef> {
  const router = new Router<RouteDef>();
  for (const [method, path, def] of [...system, ...tenants, ...collections, ...records, ...unsupported]) {
    router.add(method, `/api/v2${path}`, def);
  }
  return router;
}
