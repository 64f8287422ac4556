/**
 * The folder's SQLite connections and how each is set up: the writer (WAL, the durability asked,
 * checkpoints left to the engine) and the read-only reader, both with chromalite's SQL functions.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { CorruptionError, InternalError, NotFoundError, wrapError } from "../errors.js";
import type { OperationScope } from "../util/abort.js";
import { compileRegex } from "../model/filter.js";
import type { Durability } from "../types.js";

/** SQLite's page cache per connection (16 MiB): what a connection holds in memory is bounded by it. */
const CACHE_PRAGMA = "cache_size = -16384";

/**
 * The WAL file SQLite leaves on disk after it starts the log over (write-ladder.ts restarts it every
 * 16 MB of writes): without a limit it keeps its high-water size until close (52 MB after a 100k x 384
 * import), with one it is cut back to this at the first commit after a restart. The restart's
 * checkpoint empties the file itself, off the main thread (checkpointer.ts); this cut is for when it
 * could not (another process was reading).
 */
const WAL_SIZE_LIMIT_BYTES = 16 << 20;

/** The custom SQL functions every connection of ours needs (filters call them). */
function addFunctions(db: Database.Database): void {
  db.function("chromalite_regexp", { deterministic: true }, (pattern: unknown, text: unknown) =>
    typeof text === "string" && compileRegex(String(pattern)).test(text) ? 1 : 0,
  );
}

/**
 * How long a statement of ours may wait in SQLite's own (blocking) busy handler. Short: waiting for
 * another process's write lock happens in {@link beginImmediate}, off the event loop's back.
 */
const WRITER_BUSY_MS = 5;
/** Readers wait only while another process recovers the WAL after a crash (milliseconds). */
const READER_BUSY_MS = 1000;
/** At open (migrating, setting WAL mode), when several processes open a new folder at once. */
const OPEN_BUSY_MS = 5000;

/**
 * BEGIN IMMEDIATE, waiting while another process holds SQLite's write lock: retried with short sleeps
 * that give the event loop back, until `scope` times out or is cancelled (its typed error).
 */
export async function beginImmediate(db: Database.Database, scope: OperationScope): Promise<void> {
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    try {
      db.exec("BEGIN IMMEDIATE");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
    }
    scope.check();
    await new Promise((resolve) => setTimeout(resolve, wait));
    scope.check();
  }
}

/** Opens the writer connection (creating the file if needed). */
export function openWriter(file: string, durability: Durability): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: OPEN_BUSY_MS });
  } catch (err) {
    throw new InternalError(`Cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    // Checkpoints are run by the engine between operations, not inside a commit.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
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
 * The read-only connection. Not memory-mapped: a map made record lookups (a query's ten results) about
 * 15 µs faster, but every page fault maps its neighbours too, so the process's RSS grew by about 1 MB
 * per query until it held most of the file (+180 MB at 100k x 384 after a few thousand queries).
 */
export function openReader(file: string, opts: { fileMustExist?: boolean } = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: opts.fileMustExist ?? false, timeout: READER_BUSY_MS });
  } catch (err) {
    if ((err as { code?: string }).code === "SQLITE_CANTOPEN" && !fs.existsSync(file)) {
      throw new NotFoundError(`No chromalite data at ${path.dirname(file)} (${path.basename(file)} is missing): a read-only client cannot create it`);
    }
    throw err;
  }
  try {
    db.pragma(CACHE_PRAGMA);
    db.pragma("temp_store = MEMORY");
    addFunctions(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** After the writer's open work (migration): statements wait at most a few ms in SQLite's own handler. */
export function settleWriter(db: Database.Database): void {
  db.pragma(`busy_timeout = ${WRITER_BUSY_MS}`);
}

/** Whether this process may create files in `dir` (false on a read-only mount or without permission). */
export function folderWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies the database file and its WAL, if any, into a new temporary folder; returns the folder.
 * SQLite cannot open a WAL database read-only where it cannot create the -shm file (a read-only
 * mount, no write permission), and better-sqlite3 is built without URIs (no `immutable=1`): such a
 * database is read from a copy (nobody can be writing it there).
 */
export function snapshotDatabase(file: string): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-readonly-"));
  const name = path.basename(file);
  try {
    fs.copyFileSync(file, path.join(tmp, name));
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, path.join(tmp, `${name}-wal`));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw wrapError(err, file);
  }
  return tmp;
}

/** A read-only client's connection: the file it reads (the database, or a copy) and what to undo on close. */
export interface ReadOnlyOpen {
  db: Database.Database;
  /** The database file read: `file` itself, or its copy. */
  readFile: string;
  /** Removes what opening left behind (the copy, or the -wal/-shm SQLite made). Call after closing `db`. */
  release(): void;
}

/**
 * Opens `file` for a read-only client: in place where SQLite can, else from a copy. `alone` says, at
 * close, whether no other process uses the folder (see ReadOnlyPresence).
 */
export function openReadOnly(file: string, alone: () => boolean): ReadOnlyOpen {
  if (!fs.existsSync(file)) {
    throw new NotFoundError(`No chromalite data at ${path.dirname(file)} (${path.basename(file)} is missing): a read-only client cannot create it`);
  }
  if (!folderWritable(path.dirname(file))) {
    const tmp = snapshotDatabase(file);
    const readFile = path.join(tmp, path.basename(file));
    try {
      return { db: openReader(readFile, { fileMustExist: true }), readFile, release: () => fs.rmSync(tmp, { recursive: true, force: true }) };
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  const companions = new ReadOnlyCompanions(file, alone);
  return { db: openReader(file, { fileMustExist: true }), readFile: file, release: () => companions.removeOurs() };
}

/**
 * A read-only connection still makes SQLite's -wal and -shm files when they are missing, and cannot
 * remove them (that needs a write). A read-only client leaves a folder as it found it: it notes which
 * were missing before it opened, and on close removes those (the -wal only while empty) when no other
 * process uses the folder.
 */
class ReadOnlyCompanions {
  readonly #created: string[];
  readonly #alone: () => boolean;

  constructor(file: string, alone: () => boolean) {
    this.#created = [`${file}-wal`, `${file}-shm`].filter((f) => !fs.existsSync(f));
    this.#alone = alone;
  }

  removeOurs(): void {
    if (this.#created.length === 0) return;
    try {
      if (!this.#alone()) return; // another process is using the folder (and these files)
      for (const f of this.#created) {
        const st = fs.statSync(f, { throwIfNoEntry: false });
        if (st && (f.endsWith("-shm") || st.size === 0)) fs.rmSync(f, { force: true });
      }
    } catch {
      // a read-only file system: nothing was created to remove
    }
  }
}
