/**
 * The HTTP server: node:http, one engine per data folder, Chroma's API v2. It owns the request
 * lifecycle (limits, auth, body parsing, cancellation on disconnect, access log) and a graceful
 * shutdown that finishes in-flight requests before it closes the folder.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { Engine } from "../engine/engine.js";
import { AbortError, InvalidArgumentError } from "../errors.js";
import { silentLogger, type Logger } from "../logger.js";
import { DEFAULT_TIMEOUT_MS } from "../model/defaults.js";
import type { JsonObject } from "../model/json.js";
import { stringifyExact } from "../model/numbers.js";
import type { Durability } from "../types.js";
import { HttpError, toErrorReply } from "./errors.js";
import type { Reply, RouteDef } from "./request.js";
import { DOCS_HTML } from "./docs-page.js";
import { openApiDocument } from "./openapi.js";
import type { Route } from "./request.js";
import { buildRouter } from "./routes.js";
import { consoleRoutes } from "./console-routes.js";
import { isJsonContentType, parseJsonBody, readBody, requestToken } from "./body.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Open connections at most: well under a 1,024-descriptor limit, leaving room for files. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** Time a client has to send its request headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send its whole request, headers and body. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

export interface ServerOptions {
  /** The data folder (created if missing). Only one process can serve a folder at a time. */
  path: string;
  /** Interface to listen on. Default `127.0.0.1`: only this machine can connect. */
  host?: string;
  /** TCP port. Default 8000, Chroma's. `0` picks a free port (see `RunningServer.port`). */
  port?: number;
  /**
   * Require this token on every request except heartbeat, healthcheck and version, sent as
   * `x-chroma-token: <token>` or `Authorization: Bearer <token>`. Missing → 401, wrong → 403.
   */
  authToken?: string;
  /** Allow `POST /api/v2/reset`, which deletes everything. Default false (403), as in Chroma. */
  allowReset?: boolean;
  /** Largest accepted request body in bytes; larger ones get 413. Default 32 MiB. */
  maxBodyBytes?: number;
  /**
   * Open connections at most (default 512); past it new connections are closed at once. With the
   * header and body timeouts, slow or idle clients cannot hold every connection for long.
   */
  maxConnections?: number;
  /** Time in ms a client has to send the request headers (default 10000); then 408 and the connection is closed. */
  headersTimeoutMs?: number;
  /** Time in ms a client has to send the whole request, body included (default 60000); then 408. */
  bodyTimeoutMs?: number;
  /** Largest record batch accepted (and reported by pre-flight-checks). Default 5461, Chroma's. */
  maxBatchSize?: number;
  /** Timeout of each request's database operation in ms (504 when exceeded). Default 60000; 0 = none. */
  requestTimeoutMs?: number;
  /** `normal` (default): acknowledged writes survive a crash of the process; `full`: also a power loss. */
  durability?: Durability;
  /** Hold the folder alone (other processes get LockedError); by default it is shared with them. */
  exclusive?: boolean;
  /** Serve reads only: writes answer 403 ReadOnlyError and nothing is written in the folder. */
  readOnly?: boolean;
  /**
   * Log one line per request: `true` writes to stdout, or pass a function that receives each line
   * (and the same as fields, for a structured logger).
   */
  accessLog?: boolean | ((line: string, entry: AccessLogEntry) => void);
  /** pino-compatible logger for server errors and the engine's per-operation debug records. */
  logger?: Logger;
  /** Serve the console (`/`, `/console/assets/`, `/console/api/`; see the README). Default true. */
  console?: boolean;
}

/** One request, as the access log reports it. */
export interface AccessLogEntry {
  /** When the response finished (ISO 8601). */
  time: string;
  remoteAddress: string;
  method: string;
  url: string;
  /** The status sent; null if the client went away first. */
  status: number | null;
  /** Size of the response body. */
  bytes: number;
  /** Time from request to response, in ms (0.1 ms steps). */
  ms: number;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly host: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** The data folder, resolved. */
  readonly path: string;
  /**
   * Stops accepting connections, lets in-flight requests finish, then closes the folder (saves the
   * indexes, checkpoints SQLite, releases the lock). With `timeoutMs`, requests still running after
   * that long are cancelled. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const OPTION_KEYS = new Set([
  "path",
  "host",
  "port",
  "authToken",
  "allowReset",
  "maxBodyBytes",
  "maxConnections",
  "headersTimeoutMs",
  "bodyTimeoutMs",
  "maxBatchSize",
  "requestTimeoutMs",
  "durability",
  "exclusive",
  "readOnly",
  "accessLog",
  "logger",
  "console",
]);

function checkOptions(options: ServerOptions): void {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("startServer expects an options object");
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidArgumentError(`Unknown server option '${key}'; known options: ${[...OPTION_KEYS].join(", ")}`);
    }
  }
  if (typeof options.path !== "string" || options.path.length === 0) {
    throw new InvalidArgumentError("Expected 'path' to be the data folder");
  }
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidArgumentError(`Expected 'port' to be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (options.maxBodyBytes !== undefined && !(Number.isInteger(options.maxBodyBytes) && options.maxBodyBytes > 0)) {
    throw new InvalidArgumentError(`Expected 'maxBodyBytes' to be a positive integer, got ${String(options.maxBodyBytes)}`);
  }
  for (const key of ["maxConnections", "headersTimeoutMs", "bodyTimeoutMs"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new InvalidArgumentError(`Expected '${key}' to be a positive integer, got ${String(v)}`);
    }
  }
  if (options.requestTimeoutMs !== undefined && !(options.requestTimeoutMs >= 0)) {
    throw new InvalidArgumentError(`Expected 'requestTimeoutMs' to be >= 0, got ${String(options.requestTimeoutMs)}`);
  }
  if (options.authToken !== undefined && (typeof options.authToken !== "string" || options.authToken.length === 0)) {
    throw new InvalidArgumentError("Expected 'authToken' to be a non-empty string");
  }
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** The OpenAPI document's text, with and without the console's routes. */
const openApiTexts = new Map<boolean, string>();

/** The API's own description, open like Chroma's: the OpenAPI document and a page that renders it. */
function docRoutes(withConsole: boolean): Route[] {
  const text = () => openApiTexts.get(withConsole) ?? openApiTexts.set(withConsole, JSON.stringify(openApiDocument({ console: withConsole }))).get(withConsole)!;
  return [
    ["GET", "/openapi.json", { open: true, handler: () => ({ text: text() }) }],
    ["GET", "/docs", { open: true, handler: () => ({ text: DOCS_HTML, contentType: "text/html; charset=utf-8" }) }],
  ];
}

/**
 * Opens the folder and serves Chroma's HTTP API v2 on it.
 *
 * @example
 * ```ts
 * import { startServer } from "chromalite/server";
 * const server = await startServer({ path: "./chroma-data", port: 8000 });
 * // new ChromaClient({ host: "127.0.0.1", port: server.port }) now works against it
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  checkOptions(options);
  const host = options.host ?? DEFAULT_HOST;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeout = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logger = options.logger ?? silentLogger;
  const tokenDigest = options.authToken === undefined ? undefined : digest(options.authToken);
  const accessLog =
    options.accessLog === true
      ? (line: string) => void process.stdout.write(`${line}\n`)
      : typeof options.accessLog === "function"
        ? options.accessLog
        : undefined;

  const allowReset = options.allowReset ?? false;
  const engine = Engine.open({
    path: options.path,
    maxBatchSize: options.maxBatchSize,
    durability: options.durability,
    timeoutMs: timeout,
    logger: options.logger,
    exclusive: options.exclusive,
    readOnly: options.readOnly,
  });
  const withConsole = options.console ?? true;
  const router = buildRouter([...docRoutes(withConsole), ...(withConsole ? consoleRoutes() : [])]);
  const inFlight = new Set<AbortController>();
  let idleWaiters: (() => void)[] = [];
  let closing = false;

  function checkAuth(req: http.IncomingMessage, def: RouteDef): void {
    if (!tokenDigest || def.open) return;
    const token = requestToken(req);
    if (token === undefined) {
      throw new HttpError(
        401,
        "Unauthorized: this server requires a token, sent as 'x-chroma-token: <token>' or 'Authorization: Bearer <token>'",
        "AuthorizationError",
      );
    }
    if (!timingSafeEqual(digest(token), tokenDigest)) throw new HttpError(403, "Forbidden: the token is not valid", "AuthError");
  }

  async function dispatch(req: http.IncomingMessage, signal: AbortSignal): Promise<Reply> {
    const method = req.method ?? "GET";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://chromalite.invalid");
    } catch {
      throw new HttpError(400, `Malformed request URL: ${req.url ?? ""}`);
    }
    if (closing) throw new HttpError(503, "The server is shutting down", "ChromaError", { connection: "close" });
    const found = router.match(method, url.pathname);
    if (found.kind === "not-found" && url.pathname.startsWith("/api/v1/")) {
      // Chroma's server answers the old API with 410 (and, having no POST route there, 405 to POST).
      req.resume();
      if (method === "POST") throw new HttpError(405, `Method ${method} is not allowed on ${url.pathname}`, "ChromaError");
      throw new HttpError(410, "The v1 API is deprecated. Please use /v2 apis", "Unimplemented");
    }
    if (found.kind === "not-found") throw new HttpError(404, `No route for ${method} ${url.pathname}`);
    // As Chroma answers for a path segment that does not decode to UTF-8 (an encoded lone surrogate).
    if (found.kind === "bad-parameter") throw new HttpError(400, `Invalid URL: Invalid UTF-8 in \`${found.name}\``);
    if (found.kind === "method-not-allowed") {
      throw new HttpError(405, `Method ${method} is not allowed on ${url.pathname}`, "ChromaError", {
        allow: found.allow.join(", "),
      });
    }
    const { handler: def, params } = found.match;
    checkAuth(req, def);
    let body: JsonObject = {};
    if (def.body) {
      if (!isJsonContentType(req.headers["content-type"])) {
        req.resume();
        throw new HttpError(415, "Expected request with `Content-Type: application/json`");
      }
      body = parseJsonBody(await readBody(req, maxBodyBytes));
    } else {
      req.resume(); // nothing to read; drain so the connection can be reused
    }
    return def.handler({ engine, params, query: url.searchParams, body, call: { signal, timeout }, closing, allowReset });
  }

  /** Sends a JSON reply; returns the body's size in bytes (0 if the client is gone). */
  function send(res: http.ServerResponse, status: number, text: string, headers?: Record<string, string>): number {
    if (res.headersSent || res.destroyed) return 0;
    const bytes = Buffer.byteLength(text);
    const all: Record<string, string | number> = { "content-type": "application/json", "content-length": bytes, ...headers };
    // While shutting down, do not keep connections open for more requests.
    if (closing) all.connection = "close";
    res.writeHead(status, all);
    res.end(text);
    return bytes;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const controller = new AbortController();
    let bytes = 0;
    inFlight.add(controller);
    res.once("close", () => {
      // The client went away before the response was sent: cancel its operation.
      if (!res.writableFinished) controller.abort(new AbortError("the client disconnected"));
      inFlight.delete(controller);
      if (accessLog) {
        const ms = Math.round((performance.now() - started) * 10) / 10;
        const entry: AccessLogEntry = {
          time: new Date().toISOString(),
          remoteAddress: req.socket.remoteAddress ?? "-",
          method: req.method ?? "-",
          url: req.url ?? "-",
          status: res.writableFinished ? res.statusCode : null,
          bytes,
          ms,
        };
        accessLog(
          `${entry.time} ${entry.remoteAddress} "${entry.method} ${entry.url}" ${entry.status ?? "-"} ${String(bytes)} ${ms.toFixed(1)}ms`,
          entry,
        );
      }
      if (inFlight.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    });
    try {
      const reply = await dispatch(req, controller.signal);
      const type = reply.contentType === undefined ? undefined : { "content-type": reply.contentType };
      bytes = send(res, reply.status ?? 200, reply.text ?? stringifyExact(reply.json ?? null), { ...type, ...reply.headers });
    } catch (err) {
      const reply = toErrorReply(err);
      if (reply.unexpected) {
        logger.error?.({ err, method: req.method, url: req.url, status: reply.status }, "request failed");
      }
      bytes = send(res, reply.status, JSON.stringify(reply.body), reply.headers);
    }
  }

  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const server = http.createServer(
    {
      headersTimeout,
      // Node checks both only every `connectionsCheckingInterval` (30 s by default): far too coarse.
      requestTimeout: Math.max(headersTimeout, options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error?.({ err }, "request handler crashed");
        res.destroy();
      });
    },
  );
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await engine.close();
    const code = (err as NodeJS.ErrnoException).code;
    const port = options.port ?? DEFAULT_PORT;
    const why =
      code === "EADDRINUSE"
        ? "the port is already in use"
        : code === "EACCES"
          ? "permission denied"
          : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
            ? "no such local address"
            : err instanceof Error
              ? err.message
              : String(err);
    throw new InvalidArgumentError(`Cannot listen on ${host}:${port}: ${why}`, { cause: err });
  }
  server.on("error", (err) => logger.error?.({ err }, "server error"));

  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? DEFAULT_PORT);
  const urlHost = host.includes(":") ? `[${host}]` : host;

  function waitIdle(timeoutMs: number | undefined): Promise<boolean> {
    if (inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      idleWaiters.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          idleWaiters = idleWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  let closePromise: Promise<void> | undefined;
  const SHUTDOWN_INDEXING_MS = 1000;
  async function shutdown(timeoutMs: number | undefined): Promise<void> {
    closing = true;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = await waitIdle(timeoutMs);
    if (!idle) {
      // Past the deadline: cancel what is still running (a cancelled write changes nothing).
      for (const c of inFlight) c.abort(new AbortError("the server is shutting down"));
    }
    server.closeAllConnections();
    // A short bound on indexing what is pending: a stop must be quick; the next open catches up.
    await engine.close({ cancel: !idle, timeout: SHUTDOWN_INDEXING_MS });
    await serverClosed;
  }

  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    path: engine.path,
    close(opts?: { timeoutMs?: number }): Promise<void> {
      closePromise ??= shutdown(opts?.timeoutMs);
      return closePromise;
    },
  };
}
