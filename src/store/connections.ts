/**
 * The folder's SQLite connections and how each is set up: the writer (WAL, the durability asked,
 * checkpoints left to the engine) and the read-only reader (memory-mapped), both with chromalite's
 * SQL functions.
 */
import Database from "better-sqlite3";
import { CorruptionError, InternalError } from "../errors.js";
import { compileRegex } from "../model/filter.js";
import type { Durability } from "../types.js";

/** SQLite's page cache per connection: reads go through the memory map, so it serves writes mostly. */
const CACHE_PRAGMA = "cache_size = -16384";

/** The custom SQL functions every connection of ours needs (filters call them). */
function addFunctions(db: Database.Database): void {
  db.function("chromalite_regexp", { deterministic: true }, (pattern: unknown, text: unknown) =>
    typeof text === "string" && compileRegex(String(pattern)).test(text) ? 1 : 0,
  );
}

/** Opens the writer connection (creating the file if needed). */
export function openWriter(file: string, durability: Durability): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new InternalError(`Cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    // Checkpoints are run by the engine between operations, not inside a commit.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(CACHE_PRAGMA);
    db.pragma("temp_store = MEMORY");
    addFunctions(db);
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === "SQLITE_NOTADB" || (err as { code?: string }).code === "SQLITE_CORRUPT") {
      throw new CorruptionError(`${file} is not a valid chromalite database: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * The read-only connection. Reads through a memory map skip a pread() per page: record lookups (query
 * results, get by id) take about half the time. SQLite caps it at 2 GiB; beyond that it reads as usual.
 */
export function openReader(file: string): Database.Database {
  const db = new Database(file, { readonly: true });
  try {
    db.pragma(CACHE_PRAGMA);
    db.pragma("mmap_size = 2147418112");
    db.pragma("temp_store = MEMORY");
    addFunctions(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
