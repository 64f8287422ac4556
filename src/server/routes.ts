/**
 * Chroma's API v2, endpoint by endpoint, on top of the engine: the system routes, tenants, databases
 * and collections here, the records of a collection in record-routes.ts. Each handler decodes its
 * request (shape errors → 422) and runs the engine call, which validates values (→ 400), under the
 * request's cancellation scope (client disconnect, per-request timeout).
 */
import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../model/defaults.js";
import { API_VERSION } from "./api-version.js";
import { HttpError } from "./errors.js";
import { collectionJson } from "./json.js";
import { records, unsupported } from "./record-routes.js";
import {
  COLLECTION,
  COLLECTIONS,
  collectionId,
  DATABASE,
  p,
  run,
  scopedCollection,
  TENANT,
  type Route,
  type RouteDef,
} from "./request.js";
import { Router } from "./router.js";
import {
  decodeCollectionMetadata,
  decodeCreateConfiguration,
  decodeUpdateConfiguration,
  isUuid,
  optBool,
  optString,
  queryU32,
  stringField,
} from "./wire.js";

// ------------------------------------------------------------------ system

const system: Route[] = [
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

const tenants: Route[] = [
  [
    "POST",
    "/tenants",
    {
      body: true,
      handler: async (ctx) => {
        const name = stringField(ctx.body, "name");
        await run(ctx, "createTenant", (scope) => ctx.engine.catalog.createTenant(name, scope));
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
        const dbs = await run(ctx, "listDatabases", () => ctx.engine.catalog.listDatabases(p(ctx, "tenant"), limit, offset));
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
        const name = stringField(ctx.body, "name");
        await run(ctx, "createDatabase", (scope) => ctx.engine.catalog.createDatabase(p(ctx, "tenant"), name, scope));
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

const collections: Route[] = [
  [
    "GET",
    COLLECTIONS,
    {
      handler: async (ctx) => {
        const limit = queryU32(ctx.query, "limit") ?? -1;
        const offset = queryU32(ctx.query, "offset") ?? 0;
        const list = await run(ctx, "listCollections", () =>
          ctx.engine.catalog.listCollections(p(ctx, "tenant"), p(ctx, "database"), limit, offset),
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
        json: await run(ctx, "countCollections", () => ctx.engine.catalog.countCollections(p(ctx, "tenant"), p(ctx, "database"))),
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

/** Every endpoint of the API, with its path under `/api/v2`: what the router serves and /openapi.json documents. */
export function apiRoutes(): Route[] {
  return [...system, ...tenants, ...collections, ...records, ...unsupported];
}

export const API_PREFIX = "/api/v2";

/** The API under `/api/v2`, plus `extra` routes at their own paths (the OpenAPI document and its page). */
export function buildRouter(extra: Route[] = []): Router<RouteDef> {
  const router = new Router<RouteDef>();
  for (const [method, path, def] of apiRoutes()) router.add(method, `${API_PREFIX}${path}`, def);
  for (const [method, path, def] of extra) router.add(method, path, def);
  return router;
}
