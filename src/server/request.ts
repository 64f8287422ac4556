/**
 * What every route handler gets (the request, decoded), what it answers, and the helpers the routes
 * share: running an engine call under the request's scope, and the collection a path names.
 */
import type { CollectionInfo, Engine } from "../engine/engine.js";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import { checkDatabaseRef } from "../model/collection.js";
import type { JsonObject } from "../model/json.js";
import type { CallOptions } from "../types.js";
import type { OperationScope } from "../util/abort.js";
import { isUuid } from "./wire.js";

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
  /** Default `application/json`. */
  contentType?: string;
  /** More response headers (the console page's Content-Security-Policy). */
  headers?: Record<string, string>;
}

export interface RouteDef {
  handler: (ctx: RequestContext) => Promise<Reply> | Reply;
  /** The route reads a JSON object body. */
  body?: boolean;
  /** Served without a token when auth is on (liveness probes and version discovery). */
  open?: boolean;
}

export function run<T>(ctx: RequestContext, name: string, fn: (scope: OperationScope) => Promise<T> | T): Promise<T> {
  return ctx.engine.run(name, ctx.call, fn);
}

/** A path parameter (`:tenant`, `:id`, ...). */
export const p = (ctx: RequestContext, name: string): string => ctx.params[name] ?? "";

/** The collection of a record route: a UUID, in the tenant and database of the path. */
export function collectionId(ctx: RequestContext): string {
  const id = p(ctx, "id");
  if (!isUuid(id)) throw new InvalidArgumentError("Collection ID is not a valid UUIDv4");
  return id;
}

/** The collection a path names, in the tenant and database of the path (NotFoundError otherwise). */
export function scopedCollection(ctx: RequestContext, id: string, message = `Collection [${id}] does not exist.`): CollectionInfo {
  return inScope(ctx, () => ctx.engine.catalog.getCollectionById(id), message);
}

/** {@link scopedCollection} for record routes: only the check, from memory, with nothing to return. */
export function checkScopedCollection(ctx: RequestContext, id: string): void {
  inScope(ctx, () => ctx.engine.collectionPlace(id), `Collection [${id}] does not exist.`);
}

function inScope<T extends { tenant: string; database: string }>(ctx: RequestContext, find: () => T, message: string): T {
  checkDatabaseRef(p(ctx, "database")); // 400 for a name Chroma cannot read, before "not found"
  let found: T;
  try {
    found = find();
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(message);
    throw err;
  }
  // Chroma itself ignores the tenant and database of record routes; chromalite keeps them apart.
  if (found.tenant !== p(ctx, "tenant") || found.database !== p(ctx, "database")) throw new NotFoundError(message);
  return found;
}

/** A route: method, path under `/api/v2`, handler. */
export type Route = [string, string, RouteDef];

export const TENANT = "/tenants/:tenant";
export const DATABASE = `${TENANT}/databases/:database`;
export const COLLECTIONS = `${DATABASE}/collections`;
export const COLLECTION = `${COLLECTIONS}/:id`;
