/**
 * The OpenAPI 3.1 document of the server (`GET /openapi.json`), generated from the route table the
 * router serves (apiRoutes()): every method and path comes from there, with its path parameters and
 * whether it needs the token; ROUTE_DOCS adds what the table cannot say (a summary, the tag, the
 * body and response schemas). A route without docs, or docs naming no route, is an error when the
 * document is built, so the two cannot drift apart (the OpenAPI test builds it). The console's
 * endpoints (`/console/api/`) are listed the same way from CONSOLE_ROUTE_DOCS, unless it is off.
 */
import { VERSION } from "../version.js";
import { API_VERSION } from "./api-version.js";
import { BODIES, SCHEMAS } from "./openapi-schemas.js";
import type { Route } from "./request.js";
import { API_PREFIX, apiRoutes } from "./routes.js";
import { CONSOLE_API, consoleApiRoutes } from "./console-routes.js";

type Schema = Record<string, unknown>;

export interface RouteDoc {
  summary: string;
  tag: "System" | "Tenant" | "Database" | "Collection" | "Record" | "Console";
  /** Name of the request body in BODIES. */
  body?: keyof typeof BODIES;
  /** A body schema of its own (the console's endpoints), when not one of BODIES. */
  bodySchema?: Schema;
  /** Schema of the success response (a component name, or a schema). */
  response: string | Schema;
  /** Success status, when not 200. */
  status?: number;
  /** Chroma's single-node server does not offer it either: the documented answer is an error. */
  unsupported?: boolean;
}

const C = "/tenants/{tenant}/databases/{database}/collections/{collection_id}";
const empty: Schema = { type: "object", additionalProperties: false };

/** Keyed by `METHOD path`, the path under /api/v2 with `{param}` segments. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  "GET /heartbeat": { summary: "Liveness: the server's clock in nanoseconds", tag: "System", response: { type: "object", properties: { "nanosecond heartbeat": { type: "integer" } } } },
  "GET /version": { summary: "The API version Chroma clients check", tag: "System", response: { type: "string" } },
  "GET /healthcheck": { summary: "Readiness (503 while shutting down)", tag: "System", response: { type: "object" } },
  "GET /pre-flight-checks": { summary: "Limits the clients read: max_batch_size", tag: "System", response: { type: "object", properties: { max_batch_size: { type: "integer" }, supports_base64_encoding: { type: "boolean" } } } },
  "GET /auth/identity": { summary: "The caller's tenant and databases", tag: "System", response: { type: "object" } },
  "POST /reset": { summary: "Delete everything (only with --allow-reset; else 403)", tag: "System", response: { type: "boolean" } },
  "GET /collections/{crn}": { summary: "A collection by its CRN, tenant:database:name", tag: "Collection", response: "Collection" },
  "POST /tenants": { summary: "Create a tenant", tag: "Tenant", body: "CreateTenant", response: empty },
  "GET /tenants/{tenant}": { summary: "Get a tenant", tag: "Tenant", response: "Tenant" },
  "PATCH /tenants/{tenant}": { summary: "Set a tenant's resource name (not supported: 501)", tag: "Tenant", body: "UpdateTenant", response: empty, unsupported: true },
  "GET /tenants/{tenant}/databases": { summary: "List a tenant's databases (limit, offset)", tag: "Database", response: { type: "array", items: { $ref: "#/components/schemas/Database" } } },
  "POST /tenants/{tenant}/databases": { summary: "Create a database", tag: "Database", body: "CreateDatabase", response: empty },
  "GET /tenants/{tenant}/databases/{database}": { summary: "Get a database", tag: "Database", response: "Database" },
  "DELETE /tenants/{tenant}/databases/{database}": { summary: "Delete a database and its collections", tag: "Database", response: empty },
  "GET /tenants/{tenant}/databases/{database}/collections": { summary: "List collections, in creation order (limit, offset)", tag: "Collection", response: { type: "array", items: { $ref: "#/components/schemas/Collection" } } },
  "GET /tenants/{tenant}/databases/{database}/collections_count": { summary: "Count collections", tag: "Collection", response: { type: "integer" } },
  "POST /tenants/{tenant}/databases/{database}/collections": { summary: "Create a collection (get_or_create: or get it)", tag: "Collection", body: "CreateCollection", response: "Collection" },
  "GET /tenants/{tenant}/databases/{database}/collections/by-id/{collection_id}": { summary: "Get a collection by id", tag: "Collection", response: "Collection" },
  [`GET ${C}`]: { summary: "Get a collection by NAME (the path segment is the name here, as in Chroma)", tag: "Collection", response: "Collection" },
  [`DELETE ${C}`]: { summary: "Delete a collection by NAME, with its records", tag: "Collection", response: empty },
  [`PUT ${C}`]: { summary: "Rename a collection, replace its metadata, tune its search (by id)", tag: "Collection", body: "UpdateCollection", response: empty },
  [`POST ${C}/add`]: { summary: "Add records (existing ids are left unchanged)", tag: "Record", body: "AddRecords", response: empty, status: 201 },
  [`POST ${C}/upsert`]: { summary: "Insert new ids, update existing ones", tag: "Record", body: "UpsertRecords", response: empty },
  [`POST ${C}/update`]: { summary: "Update existing records (missing ids are ignored)", tag: "Record", body: "UpdateRecords", response: empty },
  [`GET ${C}/count`]: { summary: "Count records", tag: "Record", response: { type: "integer" } },
  [`POST ${C}/get`]: { summary: "Get records by ids and filters, in insertion order", tag: "Record", body: "GetRecords", response: "GetResult" },
  [`POST ${C}/query`]: { summary: "Nearest neighbours of each query embedding", tag: "Record", body: "QueryRecords", response: "QueryResult" },
  [`POST ${C}/delete`]: { summary: "Delete records by ids and filters; answers the number deleted", tag: "Record", body: "DeleteRecords", response: { type: "object", properties: { deleted: { type: "integer" } } } },
  [`POST ${C}/search`]: { summary: "Chroma's Search API: dense kNN, BM25 over the documents, rank fusion", tag: "Record", body: "Search", response: "SearchResponse" },
  [`GET ${C}/indexing_status`]: { summary: "Background indexing progress", tag: "Record", response: "IndexingStatus" },
  [`POST ${C}/fork`]: { summary: "Fork a collection (not supported: 501, as local Chroma)", tag: "Collection", body: "Fork", response: "Collection", unsupported: true },
  [`GET ${C}/fork_count`]: { summary: "Count forks (not supported: 501, as local Chroma)", tag: "Collection", response: { type: "integer" }, unsupported: true },
  [`POST ${C}/functions/attach`]: { summary: "Attach a function (not supported: 501)", tag: "Collection", body: "AttachFunction", response: empty, unsupported: true },
  [`GET ${C}/functions/{function}`]: { summary: "An attached function (none exist: 404)", tag: "Collection", response: empty, unsupported: true },
  [`POST ${C}/attached_functions/{function}/detach`]: { summary: "Detach a function (not supported: 501)", tag: "Collection", body: "DetachFunction", response: empty, unsupported: true },
};

const CC = `${CONSOLE_API}${C}`;
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: "object", properties, ...(required.length ? { required } : {}) });

/** The console's own endpoints (server/console-routes.ts), at their own paths: `METHOD path`. */
export const CONSOLE_ROUTE_DOCS: Record<string, RouteDoc> = {
  [`GET ${CONSOLE_API}/catalog`]: { summary: "Console: every tenant, database and collection, with counts, indexing and sizes", tag: "Console", response: { type: "object" } },
  [`POST ${CONSOLE_API}/bm25`]: { summary: "Console: a text's chroma_bm25 sparse vector and terms (or the terms of each of `texts`)", tag: "Console", bodySchema: object({ text: { type: "string" }, texts: { type: "array", items: { type: "string" } } }), response: { type: "object" } },
  [`POST ${CC}/embed`]: { summary: "Console: texts embedded by the collection's embedding function", tag: "Console", bodySchema: object({ texts: { type: "array", items: { type: "string" } } }, ["texts"]), response: object({ embeddings: { type: "array" } }) },
  [`POST ${CC}/explain`]: { summary: "Console: /query with the plan each query took and the where clauses each hit matched", tag: "Console", bodySchema: { $ref: "#/components/schemas/QueryRecords" }, response: object({ result: { $ref: "#/components/schemas/QueryResult" }, plans: { type: "array" }, clauses: { type: "array" }, ms: { type: "number" } }) },
  [`POST ${CC}/search/explain`]: { summary: "Console: /search with what each $knn gave each hit (BM25: per query term) and the filter clauses each hit matched", tag: "Console", bodySchema: { $ref: "#/components/schemas/Search" }, response: object({ result: { $ref: "#/components/schemas/SearchResponse" }, explains: { type: "array" }, clauses: { type: "array" }, ms: { type: "number" } }) },
  [`GET ${CC}/map`]: { summary: "Console: a 2D PCA of a sample of up to 20,000 embeddings (vectors=1: up to 5,000, with their vectors for UMAP)", tag: "Console", response: { type: "object" } },
  [`GET ${CC}/health`]: { summary: "Console: HNSW recall against exact on held-out queries, index lag, disk and memory", tag: "Console", response: { type: "object" } },
  [`GET ${CONSOLE_API}/verify`]: { summary: "Console: save the indexes, then chromalite verify's checks", tag: "Console", response: { type: "object" } },
};

/** Path parameters as OpenAPI names them (the router's `:id` is Chroma's `{collection_id}`). */
const PARAM_NAMES: Record<string, string> = { id: "collection_id" };

/** A router path (`/tenants/:tenant`) in OpenAPI's form (`/tenants/{tenant}`), and its parameters. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const out = path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const renamed = PARAM_NAMES[name] ?? name;
    params.push(renamed);
    return `{${renamed}}`;
  });
  return { path: out, params };
}

const LIST_QUERY = [
  { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 0 } },
  { name: "offset", in: "query", required: false, schema: { type: "integer", minimum: 0 } },
];

function responseSchema(response: string | Schema): Schema {
  return typeof response === "string" ? { $ref: `#/components/schemas/${response}` } : response;
}

function operation(method: string, key: string, route: Route, doc: RouteDoc, params: string[]): Schema {
  const [, , def] = route;
  const error = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  const op: Schema = {
    operationId: key.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "").toLowerCase(),
    summary: doc.summary,
    tags: [doc.tag],
    parameters: [
      ...params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...(method === "GET" && /\/(databases|collections)$/.test(key) ? LIST_QUERY : []),
    ],
    responses: {
      [String(doc.status ?? 200)]: { description: doc.unsupported ? "never: see the error responses" : "success", content: { "application/json": { schema: responseSchema(doc.response) } } },
      "400": error("invalid argument (a value the rules refuse)"),
      ...(def.open ? {} : { "401": error("no token (when the server requires one)"), "403": error("wrong token") }),
      "404": error("not found"),
      ...(doc.body || doc.bodySchema ? { "415": error("not application/json"), "422": error("a body of the wrong shape (serde's wording, as Chroma)") } : {}),
      ...(doc.unsupported ? { "501": error("not supported by chromalite (as by Chroma's single-node server)") } : {}),
    },
  };
  if (def.open) op.security = [];
  if (doc.body) {
    const body = BODIES[doc.body]!;
    op.requestBody = { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${doc.body}` }, example: body.example } } };
  } else if (doc.bodySchema) op.requestBody = { required: true, content: { "application/json": { schema: doc.bodySchema } } };
  return op;
}

/** Each route's operation under `prefix`; throws if a route has no docs or docs name a route not in `routes`. */
function addPaths(paths: Record<string, Record<string, unknown>>, routes: Route[], docs: Record<string, RouteDoc>, prefix: string, table: string): void {
  const documented = new Set<string>();
  for (const route of routes) {
    const [method, routerPath] = route;
    const { path, params } = openApiPath(routerPath);
    const key = `${method} ${path}`;
    const doc = docs[key];
    if (!doc) throw new Error(`openapi: route ${key} has no entry in ${table}`);
    documented.add(key);
    (paths[`${prefix}${path}`] ??= {})[method.toLowerCase()] = operation(method, key, route, doc, params);
  }
  const stale = Object.keys(docs).filter((k) => !documented.has(k));
  if (stale.length > 0) throw new Error(`openapi: ${table} names routes the server does not serve: ${stale.join(", ")}`);
}

/** Builds the document (with the console's endpoints unless `console: false`, as the server is run). */
export function openApiDocument(options: { console?: boolean } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  addPaths(paths, apiRoutes(), ROUTE_DOCS, API_PREFIX, "ROUTE_DOCS");
  if (options.console ?? true) addPaths(paths, consoleApiRoutes(), CONSOLE_ROUTE_DOCS, "", "CONSOLE_ROUTE_DOCS");
  const bodySchemas = Object.fromEntries(Object.entries(BODIES).map(([name, b]) => [name, b.schema]));
  return {
    openapi: "3.1.0",
    info: {
      title: "chromalite",
      version: VERSION,
      description: `Chroma's HTTP API v2 (API version ${API_VERSION}), served by chromalite from a local data folder. The official chromadb clients work against it.`,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    tags: ["System", "Tenant", "Database", "Collection", "Record", ...(options.console ?? true ? ["Console"] : [])].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...SCHEMAS, ...bodySchemas },
      securitySchemes: {
        chromaToken: { type: "apiKey", in: "header", name: "x-chroma-token" },
        bearer: { type: "http", scheme: "bearer" },
      },
    },
    security: [{ chromaToken: [] }, { bearer: [] }],
  };
}
