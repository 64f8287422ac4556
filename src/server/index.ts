/**
 * chromalite's Chroma-compatible HTTP server (API v2): the official `chromadb` JS and Python clients
 * work against it unchanged.
 *
 * @example
 * ```ts
 * import { startServer } from "chromalite/server";
 * import { ChromaClient } from "chromadb";
 * const server = await startServer({ path: "./chroma-data", port: 0 });
 * const client = new ChromaClient({ host: server.host, port: server.port });
 * await client.heartbeat();
 * await server.close();
 * ```
 */
export {
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_PORT,
  startServer,
  type AccessLogEntry,
  type RunningServer,
  type ServerOptions,
} from "./server.js";
export { API_VERSION } from "./api-version.js";
