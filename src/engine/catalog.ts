/**
 * The catalog: tenants, databases and collections, with Chroma's rules. Every door creates, renames
 * and deletes them here, so the names are validated here (model/collection.ts has the rules) and
 * nowhere else. Every change goes up the write ladder (an autocommitted statement could otherwise
 * land inside another operation's open transaction and be rolled back with it); the collections'
 * in-memory states are kept in {@link CollectionStates}, which the engine's record operations share.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { InvalidArgumentError, NotFoundError, UniqueConstraintError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  applyHnswUpdate,
  checkDatabaseRef,
  resolveCreateHnsw,
  validateCollectionMetadata,
  validateCollectionName,
  validateDatabaseName,
  validateTenantName,
  type StoredConfiguration,
} from "../model/collection.js";
import type { CatalogTables, DatabaseRow } from "../store/catalog-tables.js";
import type { CollectionRow, SqliteStore } from "../store/sqlite-store.js";
import type { CollectionMetadata, EmbeddingFunctionConfiguration, HnswConfiguration, Space } from "../types.js";
import { yieldToEventLoop, type OperationScope } from "../util/abort.js";
import { CollectionState } from "./collection-state.js";
import type { WriteLadder } from "./write-ladder.js";

/** What the engine reports about a collection. */
export interface CollectionInfo {
  id: string;
  name: string;
  tenant: string;
  database: string;
  metadata: CollectionMetadata | null;
  configuration: StoredConfiguration;
  dimension: number | null;
  logPosition: number;
  version: number;
}

function toInfo(row: CollectionRow): CollectionInfo {
  return {
    id: row.id,
    name: row.name,
    tenant: row.tenant,
    database: row.database,
    metadata: row.metadata,
    configuration: row.configuration,
    dimension: row.dimension,
    logPosition: row.seq,
    version: row.version,
  };
}

/** The in-memory state of each collection in use, made on first use. */
export class CollectionStates {
  readonly #states = new Map<string, CollectionState>();
  readonly #store: SqliteStore;
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #writes: WriteLadder;
  readonly #insertNice: number;

  constructor(store: SqliteStore, writes: WriteLadder, dir: string, logger: Logger, insertNice: number) {
    this.#store = store;
    this.#writes = writes;
    this.#dir = dir;
    this.#logger = logger;
    this.#insertNice = insertNice;
  }

  /** The engine's logger, for what the catalog reports but does not throw. */
  get logger(): Logger {
    return this.#logger;
  }

  /** The state of a collection; NotFoundError when it does not exist. */
  get(id: string): CollectionState {
    let state = this.#states.get(id);
    if (!state) {
      const row = this.#store.catalog.collectionById(id);
      if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
      state = new CollectionState(row, this.#store, this.#writes, this.#dir, this.#logger, this.#insertNice);
      this.#states.set(id, state);
    }
    return state;
  }

  delete(id: string): void {
    this.#states.delete(id);
  }

  values(): IterableIterator<CollectionState> {
    return this.#states.values();
  }

  /** True when a loaded collection's memory lacks a write SQLite has (see CollectionState.behind). */
  anyBehind(): boolean {
    for (const state of this.#states.values()) if (state.behind) return true;
    return false;
  }

  clear(): void {
    this.#states.clear();
  }
}

export interface CreateCollectionArgs {
  tenant: string;
  database: string;
  name: unknown;
  metadata?: unknown;
  hnsw?: HnswConfiguration | null;
  embeddingFunction?: EmbeddingFunctionConfiguration | null;
  defaultSpace?: Space;
  getOrCreate: boolean;
}

export interface CollectionChange {
  /** A new name, validated as `new_name`. */
  name?: unknown;
  metadata?: unknown;
  hnsw?: unknown;
  embeddingFunction?: EmbeddingFunctionConfiguration | null;
}

export class Catalog {
  readonly #tables: CatalogTables;
  readonly #writes: WriteLadder;
  readonly #states: CollectionStates;

  constructor(store: SqliteStore, writes: WriteLadder, states: CollectionStates) {
    this.#tables = store.catalog;
    this.#writes = writes;
    this.#states = states;
  }

  // ------------------------------------------------------------------ tenants and databases

  async createTenant(name: unknown, scope: OperationScope): Promise<void> {
    const valid = validateTenantName(name);
    await this.#writes.transaction(scope, () => {
      if (!this.#tables.createTenant(valid)) throw new UniqueConstraintError(`Tenant [${valid}] already exists`);
    });
  }

  /** Every tenant, the default first, then by name (Chroma's API has no such list; the console shows them). */
  listTenants(): string[] {
    return this.#tables.listTenants();
  }

  getTenant(name: string): { name: string } {
    if (!this.#tables.tenantExists(name)) throw new NotFoundError(`Tenant [${name}] not found`);
    return { name };
  }

  /**
   * A database in a tenant that does not exist is refused (NotFoundError); Chroma creates it and
   * leaves the tenant missing.
   */
  async createDatabase(tenant: string, name: unknown, scope: OperationScope): Promise<void> {
    const valid = validateDatabaseName(name);
    this.getTenant(tenant);
    await this.#writes.transaction(scope, () => {
      if (!this.#tables.createDatabase(randomUUID(), tenant, valid)) {
        throw new UniqueConstraintError(`Database [${valid}] already exists`);
      }
    });
  }

  getDatabase(tenant: string, name: string): DatabaseRow {
    const db = this.#tables.getDatabase(tenant, checkDatabaseRef(name));
    if (!db) throw new NotFoundError(`Database [${name}] not found in tenant [${tenant}]`);
    return db;
  }

  /** The databases of a tenant; none when the tenant does not exist (as in Chroma). */
  listDatabases(tenant: string, limit: number, offset: number): DatabaseRow[] {
    if (!this.#tables.tenantExists(tenant)) return [];
    return this.#tables.listDatabases(tenant, limit, offset);
  }

  async deleteDatabase(tenant: string, name: string, scope: OperationScope): Promise<void> {
    const db = this.#tables.getDatabase(tenant, name);
    if (!db) throw new NotFoundError(`Database [${name}] not found in tenant [${tenant}]`);
    const rows = this.#tables.listCollections(db.id, -1, 0);
    for (const row of rows) await this.#deleteCollectionRow(row, scope);
    await this.#writes.transaction(scope, () => this.#tables.deleteDatabase(db.id));
  }

  /** The id of a collection call's database, or undefined when it (or its tenant) does not exist. */
  #findDatabase(tenant: string, database: string): string | undefined {
    return this.#tables.getDatabase(tenant, checkDatabaseRef(database))?.id;
  }

  #databaseId(tenant: string, database: string): string {
    const id = this.#findDatabase(tenant, database);
    if (id === undefined) {
      if (!this.#tables.tenantExists(tenant)) throw new NotFoundError(`Tenant [${tenant}] not found`);
      throw new NotFoundError(`Database [${database}] not found in tenant [${tenant}]`);
    }
    return id;
  }

  // ------------------------------------------------------------------ collections

  async createCollection(args: CreateCollectionArgs, scope: OperationScope): Promise<{ info: CollectionInfo; created: boolean }> {
    const name = validateCollectionName(args.name);
    // Chroma answers 400 here (not 404): creating needs an existing database, and says which.
    const databaseId = this.#findDatabase(args.tenant, args.database);
    if (databaseId === undefined) throw new InvalidArgumentError(`Database [${args.database}] does not exist`);
    const metadata = validateCollectionMetadata(args.metadata);
    const hnsw = resolveCreateHnsw(args.hnsw, metadata, args.defaultSpace);
    // An existing collection is found without a write (a read-only client can get it too); the
    // transaction below looks again, for one created meanwhile.
    const found = args.getOrCreate ? this.#tables.collectionByName(databaseId, name) : undefined;
    if (found) return { info: toInfo(found), created: false };
    return this.#writes.transaction(scope, () => {
      const existing = this.#tables.collectionByName(databaseId, name);
      if (existing) {
        if (args.getOrCreate) return { info: toInfo(existing), created: false };
        throw new UniqueConstraintError(`Collection [${name}] already exists`);
      }
      const configuration: StoredConfiguration = { hnsw, spann: null, embedding_function: args.embeddingFunction ?? null };
      const id = randomUUID();
      this.#tables.insertCollection({ id, databaseId, name, metadata, configuration });
      return { info: toInfo(this.#tables.collectionById(id)!), created: true };
    });
  }

  getCollection(tenant: string, database: string, name: string): CollectionInfo {
    const row = this.#tables.collectionByName(this.#databaseId(tenant, database), name);
    if (!row) throw new NotFoundError(`Collection [${name}] does not exist`);
    return toInfo(row);
  }

  getCollectionById(id: string): CollectionInfo {
    const row = this.#tables.collectionById(id);
    if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
    return toInfo(row);
  }

  /** The collections of a database; none when it (or its tenant) does not exist, as in Chroma. */
  listCollections(tenant: string, database: string, limit: number, offset: number): CollectionInfo[] {
    const id = this.#findDatabase(tenant, database);
    return id === undefined ? [] : this.#tables.listCollections(id, limit, offset).map(toInfo);
  }

  countCollections(tenant: string, database: string): number {
    const id = this.#findDatabase(tenant, database);
    return id === undefined ? 0 : this.#tables.countCollections(id);
  }

  async deleteCollection(tenant: string, database: string, name: string, scope: OperationScope): Promise<void> {
    const row = this.#tables.collectionByName(this.#databaseId(tenant, database), name);
    if (!row) throw new NotFoundError(`Collection [${name}] does not exist`);
    await this.#deleteCollectionRow(row, scope);
  }

  async #deleteCollectionRow(row: CollectionRow, scope: OperationScope): Promise<void> {
    const state = this.#states.get(row.id);
    await this.#writes.collection(state, scope, async (tx) => {
      // Records go in slices so a large collection never holds the event loop for long.
      while (this.#tables.deleteRecordSlice(row.cid, 2000) > 0) {
        scope.check();
        await yieldToEventLoop();
      }
      scope.check();
      this.#tables.deleteCollection(row.cid);
      tx.afterCommit(() => {
        this.#states.delete(row.id);
        state.deleted = true;
      });
    });
    // Outside the collection lock: the indexer may be waiting for that lock, and close() waits for
    // the indexer, so closing while holding it would deadlock.
    await state.close({ save: false });
    // Another process that has not seen the delete yet may be saving a generation into the folder
    // right now (rmdir then finds it not empty): retried, and if files keep coming the folder is an
    // orphan, removed at the next open. The collection is deleted either way: its rows are gone.
    await fs.promises.rm(state.indexDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }).catch((err: unknown) => {
      this.#states.logger.warn?.({ err, dir: state.indexDir }, "the deleted collection's index folder stays until the next open");
    });
  }

  async modifyCollection(id: string, change: CollectionChange, scope: OperationScope): Promise<CollectionInfo> {
    const state = this.#states.get(id);
    return this.#writes.collection(state, scope, (tx) => {
      const row = this.#tables.collectionById(id);
      if (!row) throw new NotFoundError(`Collection [${id}] does not exist`);
      const name = change.name === undefined ? undefined : validateCollectionName(change.name, "new_name");
      const update: { name?: string; metadata?: CollectionMetadata | null; configuration?: StoredConfiguration } = {};
      if (name !== undefined && name !== row.name) {
        if (this.#tables.collectionByName(row.databaseId, name)) throw new UniqueConstraintError(`Collection [${name}] already exists`);
        update.name = name;
      }
      if (change.metadata !== undefined) update.metadata = validateCollectionMetadata(change.metadata);
      if (change.hnsw !== undefined || change.embeddingFunction !== undefined) {
        update.configuration = {
          ...row.configuration,
          hnsw: applyHnswUpdate(row.configuration.hnsw, change.hnsw),
          ...(change.embeddingFunction !== undefined ? { embedding_function: change.embeddingFunction } : {}),
        };
      }
      this.#tables.updateCollection(row.cid, update);
      const fresh = this.#tables.collectionById(id)!;
      tx.afterCommit(() => {
        state.row = fresh;
        state.setEfSearch(fresh.configuration.hnsw.ef_search);
      });
      return toInfo(fresh);
    });
  }
}
