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
