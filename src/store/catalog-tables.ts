/**
 * The catalog's tables: tenants, databases and collections, and what creating, deleting and resetting
 * them takes in SQLite (a collection's records, its write log and its full-text tables go with it).
 * Plain SQL, no rules: names, uniqueness messages and ids are the engine's (engine/catalog.ts).
 */
import type Database from "better-sqlite3";
import type { StoredConfiguration } from "../model/collection.js";
import type { CollectionMetadata } from "../types.js";
import type { Prepare } from "./fulltext/tables.js";
import { insertDefaults } from "./schema.js";
import { parseExactJson, stringifyExact } from "../model/numbers.js";

export interface CollectionRow {
  cid: number;
  id: string;
  name: string;
  tenant: string;
  database: string;
  databaseId: string;
  metadata: CollectionMetadata | null;
  configuration: StoredConfiguration;
  dimension: number | null;
  /** Sequence number of the last write (Chroma's `log_position`). */
  seq: number;
  version: number;
}

export interface DatabaseRow {
  id: string;
  name: string;
  tenant: string;
}

/** The full-text side of a collection's life (the store's, see sqlite-store.ts). */
export interface CollectionText {
  create(cid: number): void;
  drop(cid: number): void;
  dropAll(): void;
}

type Row = Record<string, unknown>;

const COLLECTION_COLUMNS =
  "c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, c.version, c.database_id, d.name AS database, d.tenant AS tenant FROM collections c JOIN databases d ON d.id = c.database_id";

/** A JSON column: its value, or null for SQL NULL. */
export function parseJson<T>(text: unknown): T | null {
  return typeof text === "string" ? (parseExactJson(text) as T) : null;
}

function collectionFromRow(row: Row): CollectionRow {
  return {
    cid: row.cid as number,
    id: row.id as string,
    name: row.name as string,
    tenant: row.tenant as string,
    database: row.database as string,
    databaseId: row.database_id as string,
    metadata: parseJson<CollectionMetadata>(row.metadata),
    configuration: JSON.parse(row.configuration as string) as StoredConfiguration,
    dimension: (row.dimension as number | null) ?? null,
    seq: row.seq as number,
    version: row.version as number,
  };
}

export class CatalogTables {
  readonly #db: Database.Database;
  readonly #stmt: Prepare;
  readonly #text: CollectionText;

  constructor(db: Database.Database, stmt: Prepare, text: CollectionText) {
    this.#db = db;
    this.#stmt = stmt;
    this.#text = text;
  }

  // ---------------------------------------------------------------- tenants and databases

  /** False when the tenant exists. */
  createTenant(name: string): boolean {
    return this.#stmt("INSERT OR IGNORE INTO tenants (name) VALUES (?)").run(name).changes > 0;
  }

  listTenants(): string[] {
    return (this.#stmt("SELECT name FROM tenants ORDER BY name = 'default_tenant' DESC, name").all() as { name: string }[]).map((r) => r.name);
  }

  tenantExists(name: string): boolean {
    return this.#stmt("SELECT 1 FROM tenants WHERE name = ?").get(name) !== undefined;
  }

  /** False when the tenant has a database of that name. */
  createDatabase(id: string, tenant: string, name: string): boolean {
    return this.#stmt("INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)").run(id, name, tenant).changes > 0;
  }

  getDatabase(tenant: string, name: string): DatabaseRow | undefined {
    return this.#stmt("SELECT id, name, tenant FROM databases WHERE tenant = ? AND name = ?").get(tenant, name) as
      | DatabaseRow
      | undefined;
  }

  listDatabases(tenant: string, limit: number, offset: number): DatabaseRow[] {
    return this.#stmt("SELECT id, name, tenant FROM databases WHERE tenant = ? ORDER BY rowid LIMIT ? OFFSET ?").all(
      tenant,
      limit,
      offset,
    ) as DatabaseRow[];
  }

  deleteDatabase(id: string): void {
    this.#stmt("DELETE FROM databases WHERE id = ?").run(id);
  }

  // ---------------------------------------------------------------- collections

  insertCollection(row: {
    id: string;
    databaseId: string;
    name: string;
    metadata: CollectionMetadata | null;
    configuration: StoredConfiguration;
  }): number {
    // With its full-text tables, atomically: a collection never exists without them.
    return this.#db.transaction(() => {
      const info = this.#stmt(
        "INSERT INTO collections (id, database_id, name, metadata, configuration) VALUES (?, ?, ?, ?, ?)",
      ).run(row.id, row.databaseId, row.name, row.metadata ? stringifyExact(row.metadata) : null, JSON.stringify(row.configuration));
      const cid = Number(info.lastInsertRowid);
      this.#text.create(cid);
      return cid;
    })();
  }

  collectionByName(databaseId: string, name: string): CollectionRow | undefined {
    const row = this.#stmt(`SELECT ${COLLECTION_COLUMNS} WHERE c.database_id = ? AND c.name = ?`).get(databaseId, name) as
      | Row
      | undefined;
    return row ? collectionFromRow(row) : undefined;
  }

  collectionById(id: string): CollectionRow | undefined {
    const row = this.#stmt(`SELECT ${COLLECTION_COLUMNS} WHERE c.id = ?`).get(id) as Row | undefined;
    return row ? collectionFromRow(row) : undefined;
  }

  listCollections(databaseId: string, limit: number, offset: number): CollectionRow[] {
    // Chroma lists collections in creation order.
    return (
      this.#stmt(`SELECT ${COLLECTION_COLUMNS} WHERE c.database_id = ? ORDER BY c.cid LIMIT ? OFFSET ?`).all(
        databaseId,
        limit,
        offset,
      ) as Row[]
    ).map(collectionFromRow);
  }

  allCollections(): CollectionRow[] {
    return (this.#stmt(`SELECT ${COLLECTION_COLUMNS} ORDER BY c.cid`).all() as Row[]).map(collectionFromRow);
  }

  countCollections(databaseId: string): number {
    return this.#stmt("SELECT count(*) FROM collections WHERE database_id = ?").pluck().get(databaseId) as number;
  }

  updateCollection(
    cid: number,
    change: { name?: string; metadata?: CollectionMetadata | null; configuration?: StoredConfiguration },
  ): void {
    if (change.name !== undefined) this.#stmt("UPDATE collections SET name = ? WHERE cid = ?").run(change.name, cid);
    if (change.metadata !== undefined) {
      this.#stmt("UPDATE collections SET metadata = ? WHERE cid = ?").run(
        change.metadata ? stringifyExact(change.metadata) : null,
        cid,
      );
    }
    if (change.configuration !== undefined) {
      this.#stmt("UPDATE collections SET configuration = ? WHERE cid = ?").run(JSON.stringify(change.configuration), cid);
    }
    this.#stmt("UPDATE collections SET version = version + 1 WHERE cid = ?").run(cid);
  }

  /** Deletes up to `limit` records of a collection being deleted; returns how many went. */
  deleteRecordSlice(cid: number, limit: number): number {
    const rids = this.#stmt("SELECT rid FROM records WHERE cid = ? LIMIT ?").pluck().all(cid, limit) as number[];
    if (rids.length === 0) return 0;
    const list = JSON.stringify(rids);
    this.#stmt("DELETE FROM record_meta WHERE rid IN (SELECT value FROM json_each(?))").run(list);
    this.#stmt("DELETE FROM records WHERE rid IN (SELECT value FROM json_each(?))").run(list);
    return rids.length;
  }

  /** Deletes a collection and what is left of its records (call inside a transaction). */
  deleteCollection(cid: number): void {
    this.#stmt("DELETE FROM record_meta WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM records WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM tombstones WHERE cid = ?").run(cid);
    this.#stmt("DELETE FROM collections WHERE cid = ?").run(cid);
    this.#text.drop(cid);
  }

  /** Deletes everything and recreates the default tenant and database. */
  resetAll(): void {
    this.#db.transaction(() => {
      for (const table of ["record_meta", "tombstones", "records", "collections", "databases", "tenants"]) {
        this.#db.exec(`DELETE FROM ${table}`);
      }
      insertDefaults(this.#db);
      this.#text.dropAll();
    })();
  }
}
