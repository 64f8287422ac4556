/**
 * Defaults that every door (the client, the server, the CLI) shares: each is written here once, so a
 * folder opened by one door is found by another with the same defaults.
 */

/** The data folder when none is given, for the client and every CLI command. */
export const DEFAULT_PATH = "./chroma-data";
/** The tenant and database that every folder has (Chroma's names). */
export const DEFAULT_TENANT = "default_tenant";
export const DEFAULT_DATABASE = "default_database";
/** Default timeout of every operation in ms (0 = none). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Chroma's maximum batch size (SQLite's variable limit / 6), reported by `/pre-flight-checks`. */
export const DEFAULT_MAX_BATCH_SIZE = 5461;

/** How long close() indexes pending vectors before it saves what is indexed (the rest waits for the next open). */
export const DEFAULT_CLOSE_INDEXING_MS = 30_000;

/**
 * The nice level of the background insert threads, in process and in the server: under load the
 * threads that answer get the CPU first and the indexer takes the rest. Server, 50 clients, mixed
 * writes (one run each): query p50 12 ms and p99 89 ms, against 20 and 120 ms at the process's own
 * priority. In process, 100k x 384 ingest under one caller's back-to-back queries (2 alternating
 * pairs): indexed in the same time (28.2 / 27.5 s against 28.2 / 28.3), query p99 8.7 / 8.1 ms
 * against 9.0 / 9.7; one process querying beside another writing (2 pairs): p99 5.9 / 8.1 ms against
 * 11.4 / 12.5.
 */
export const DEFAULT_INSERT_NICE = 10;
