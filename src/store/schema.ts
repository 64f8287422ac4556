/**
 * The folder's SQLite schema and its migrations. Version 2 added the full-text indexes (fulltext/):
 * a version-1 folder's documents are backfilled in the background. Version 3 moved embeddings out of
 * `records` into `vectors`: a record's row is then small (id, document, metadata, uri), so a query's
 * lookups and the scans of filters stay in the page cache instead of reading a 1.5 KB blob's pages.
 */
import type Database from "better-sqlite3";
import { CorruptionError } from "../errors.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../model/defaults.js";

export const SCHEMA_VERSION = 3;
/** The id of the default database, in every folder. */
const DEFAULT_DATABASE_ID = "00000000-0000-0000-0000-000000000000";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_queue (cid INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (cid, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS databases (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tenant TEXT NOT NULL REFERENCES tenants(name),
  UNIQUE (tenant, name)
);
CREATE TABLE IF NOT EXISTS collections (
  cid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  database_id TEXT NOT NULL REFERENCES databases(id),
  name TEXT NOT NULL,
  metadata TEXT,
  configuration TEXT NOT NULL,
  dimension INTEGER,
  seq INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  UNIQUE (database_id, name)
);
CREATE TABLE IF NOT EXISTS records (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  cid INTEGER NOT NULL,
  id TEXT NOT NULL,
  vector_seq INTEGER NOT NULL,
  document TEXT,
  metadata TEXT,
  uri TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS records_by_id ON records (cid, id);
CREATE INDEX IF NOT EXISTS records_by_collection ON records (cid);
CREATE INDEX IF NOT EXISTS records_by_vector_seq ON records (cid, vector_seq);
-- A record's float32 embedding (util/float32.ts), under the record's rowid; goes with its record.
CREATE TABLE IF NOT EXISTS vectors (rid INTEGER PRIMARY KEY, embedding BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_drop_vector AFTER DELETE ON records BEGIN DELETE FROM vectors WHERE rid = old.rid; END;
CREATE TABLE IF NOT EXISTS record_meta (
  cid INTEGER NOT NULL,
  key TEXT NOT NULL,
  t TEXT NOT NULL,
  v,
  rid INTEGER NOT NULL,
  PRIMARY KEY (cid, key, t, v, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_meta_by_rid ON record_meta (rid);
CREATE TABLE IF NOT EXISTS tombstones (
  cid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (cid, seq, rid)
) WITHOUT ROWID;
`;

/** Creates the default tenant and database (a new folder, and after a reset). */
export function insertDefaults(db: Database.Database): void {
  db.prepare("INSERT OR IGNORE INTO tenants (name) VALUES (?)").run(DEFAULT_TENANT);
  db.prepare("INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)").run(DEFAULT_DATABASE_ID, DEFAULT_DATABASE, DEFAULT_TENANT);
}

/**
 * For a read-only open, which may not migrate: refuses a folder this chromalite cannot read as it is
 * (older, newer or not chromalite's).
 */
export function checkSchema(db: Database.Database, file: string): void {
  let version: string | undefined;
  try {
    version = db.prepare("SELECT value FROM store_info WHERE key = 'schema_version'").pluck().get() as string | undefined;
  } catch (err) {
    throw new CorruptionError(`${file} is not a chromalite database: ${(err as Error).message}`, { cause: err });
  }
  if (Number(version) !== SCHEMA_VERSION) {
    throw new CorruptionError(
      `${file} has schema ${version ?? "none"}; a read-only client reads only schema ${SCHEMA_VERSION}: open it once without readOnly to migrate it`,
    );
  }
}

/**
 * Creates what a folder lacks and migrates an older schema, in one immediate transaction (so two
 * processes opening an old folder at once migrate it once); a current folder is only read (its open
 * takes no write lock, which another process may hold). A version-1 folder's collections are
 * handed to `backfill`, to get their full-text tables and be marked for backfilling; a folder whose
 * records still hold their embeddings has them moved into `vectors`. A newer chromalite's folder is
 * refused.
 */
export function migrate(db: Database.Database, file: string, backfill: (cids: number[]) => void): void {
  if (storedVersion(db) === String(SCHEMA_VERSION)) return;
  db.transaction(() => {
    db.exec(SCHEMA); // rolled back with the rest if the folder is refused
    const version = storedVersion(db);
    if (Number(version) > SCHEMA_VERSION) {
      throw new CorruptionError(`${file} was written by a newer chromalite (schema ${version}; this one reads up to ${SCHEMA_VERSION})`);
    }
    if (version === undefined) {
      db.prepare("INSERT INTO store_info (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      insertDefaults(db);
      return;
    }
    if (Number(version) < 2) backfill(db.prepare("SELECT cid FROM collections ORDER BY cid").pluck().all() as number[]);
    if (recordsHoldEmbeddings(db)) {
      db.exec("INSERT INTO vectors (rid, embedding) SELECT rid, embedding FROM records; ALTER TABLE records DROP COLUMN embedding;");
    }
    db.prepare("UPDATE store_info SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
  }).immediate();
}

/** The folder's schema version; undefined for a new file (or one without chromalite's tables). */
function storedVersion(db: Database.Database): string | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_info'").pluck().get();
  if (table === undefined) return undefined;
  return db.prepare("SELECT value FROM store_info WHERE key = 'schema_version'").pluck().get() as string | undefined;
}

/** Whether `records` still has the embedding column of schemas 1 and 2. */
function recordsHoldEmbeddings(db: Database.Database): boolean {
  return (db.prepare("SELECT name FROM pragma_table_info('records')").pluck().all() as string[]).includes("embedding");
}
