/**
 * `PersistentClient`: the official client's `ChromaClient` API (plus its `AdminClient` calls for
 * tenants and databases), served in process from a folder on disk.
 */
import fs from "node:fs";
import path from "node:path";
import { Engine, type CollectionInfo } from "../engine/engine.js";
import { ClosedError, InvalidArgumentError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import { checkOneVectorIndex, clientCollectionMetadata, hnswFromSpann, validateScopeRef } from "../model/collection.js";
import { optionalU32 } from "../model/u32.js";
import { DEFAULT_DATABASE, DEFAULT_PATH, DEFAULT_TENANT, DEFAULT_TIMEOUT_MS } from "../model/defaults.js";
import type {
  CallOptions,
  CloseOptions,
  CollectionMetadata,
  CreateCollectionConfiguration,
  Database,
  Durability,
  EmbeddingFunction,
} from "../types.js";
import type { OperationScope } from "../util/abort.js";
import { ensureFolder } from "../util/fs.js";
import { VERSION } from "../version.js";
import { Collection, CollectionHandle, type ClientContext } from "./collection.js";
import { describeEmbeddingFunction, raceScope, resolveEmbeddingFunction } from "./embedding.js";

export interface PersistentClientOptions {
  /** Data folder; created if missing. Default `./chroma-data`, as every CLI command. */
  path?: string;
  /** Tenant of this client's collections. Default `default_tenant`. */
  tenant?: string;
  /** Database of this client's collections. Default `default_database`. */
  database?: string;
  /** Allow `reset()`, which deletes all data. Default false, as in Chroma. */
  allowReset?: boolean;
  /**
   * Default timeout of every call in ms; a call that takes longer rejects with `TimeoutError` (and a
   * write that times out changes nothing). Default 60000. `0` disables it. Each call can override it.
   */
  timeout?: number;
  /** `normal` (default): acknowledged writes survive a crash of the process. `full`: also a power loss. */
  durability?: Durability;
  /** Largest batch `add`/`upsert`/`update` accept. Default 5461, as Chroma. */
  maxBatchSize?: number;
  /** pino-compatible logger; gets every operation with its duration and outcome. Silent by default. */
  logger?: Logger;
  /**
   * Hold the folder alone. By default any number of processes share a folder (each sees the others'
   * acknowledged writes on its next call); with `exclusive: true` another process opening it gets
   * `LockedError`, and so does this one while others have it open.
   */
  exclusive?: boolean;
  /**
   * Read only: every write fails with `ReadOnlyError`, and nothing at all is written in the folder
   * (no lock, no index files), so it can inspect a folder other processes use, or a read-only disk.
   */
  readOnly?: boolean;
}

const OPTION_KEYS = new Set([
  "path",
  "tenant",
  "database",
  "allowReset",
  "timeout",
  "durability",
  "maxBatchSize",
  "logger",
  "exclusive",
  "readOnly",
]);

interface SharedEngine {
  engine: Engine;
  clients: number;
}

/**
 * Engines by canonical folder path. Two clients on one folder in one process share the engine (and
 * its lock); the folder is released when the last of them closes.
 */
const openEngines = new Map<string, SharedEngine>();

/** The folder's real path; made when missing, except for a read-only client (which writes nothing). */
function canonicalPath(p: string, readOnly: boolean): string {
  const resolved = path.resolve(p);
  if (!readOnly) ensureFolder(resolved);
  else if (!fs.existsSync(resolved)) throw new NotFoundError(`No chromalite data at ${resolved}: a read-only client cannot create it`);
  return fs.realpathSync(resolved);
}

interface CollectionArgs extends CallOptions {
  name: string;
  metadata?: CollectionMetadata;
  configuration?: CreateCollectionConfiguration;
  embeddingFunction?: EmbeddingFunction | null;
}

/**
 * An embedded, persistent Chroma. Construct it with a folder; it opens on first use.
 *
 * @example
 * ```ts
 * import { PersistentClient } from "chromalite";
 * const client = new PersistentClient({ path: "./chroma-data" });
 * const docs = await client.getOrCreateCollection({ name: "docs" });
 * await docs.add({ ids: ["a"], embeddings: [[1, 2, 3]], documents: ["hello"] });
 * const hits = await docs.query({ queryEmbeddings: [[1, 2, 3]], nResults: 1 });
 * await client.close();
 * ```
 */
export class PersistentClient implements AsyncDisposable {
  readonly path: string;
  readonly #options: PersistentClientOptions;
  #tenant: string;
  #database: string;
  #key: string | undefined;
  #engine: Engine | undefined;
  #closed = false;
  readonly #context: ClientContext;

  constructor(options: PersistentClientOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) {
        throw new InvalidArgumentError(`Unknown PersistentClient option '${key}'; known options: ${[...OPTION_KEYS].join(", ")}`);
      }
    }
    if (options.timeout !== undefined && !(options.timeout >= 0)) {
      throw new InvalidArgumentError(`Expected 'timeout' to be a number of milliseconds >= 0, got ${String(options.timeout)}`);
    }
    this.#options = { ...options };
    this.path = path.resolve(options.path ?? DEFAULT_PATH);
    this.#tenant = validateScopeRef(options.tenant ?? DEFAULT_TENANT, "tenant");
    this.#database = validateScopeRef(options.database ?? DEFAULT_DATABASE, "database");
    this.#context = { run: (name, call, fn) => this.#run(name, call, fn) };
  }

  /** Opens the folder now, so that a locked or damaged folder fails here rather than on first use. */
  static async open(options: PersistentClientOptions = {}): Promise<PersistentClient> {
    const client = new PersistentClient(options);
    await client.heartbeat();
    return client;
  }

  get tenant(): string {
    return this.#tenant;
  }

  get database(): string {
    return this.#database;
  }

  #engineOrOpen(): Engine {
    if (this.#closed) throw new ClosedError();
    if (this.#engine && !this.#engine.closed) return this.#engine;
    const readOnly = this.#options.readOnly === true;
    const folder = canonicalPath(this.path, readOnly);
    // Clients of one folder share an engine only when they asked for the same mode.
    const key = `${folder}\0${readOnly ? "read-only" : this.#options.exclusive ? "exclusive" : "shared"}`;
    let shared = openEngines.get(key);
    if (!shared || shared.engine.closed) {
      const engine = Engine.open({
        path: folder,
        exclusive: this.#options.exclusive,
        readOnly,
        durability: this.#options.durability,
        maxBatchSize: this.#options.maxBatchSize,
        timeoutMs: this.#options.timeout ?? DEFAULT_TIMEOUT_MS,
        logger: this.#options.logger,
      });
      shared = { engine, clients: 0 };
      openEngines.set(key, shared);
    }
    shared.clients++;
    this.#key = key;
    this.#engine = shared.engine;
    return shared.engine;
  }

  #run<T>(
    name: string,
    call: CallOptions | undefined,
    fn: (engine: Engine, scope: OperationScope) => Promise<T> | T,
  ): Promise<T> {
    const timeout = call?.timeout ?? this.#options.timeout ?? DEFAULT_TIMEOUT_MS;
    return this.#withEngine((engine) => engine.run(name, { signal: call?.signal, timeout }, (scope) => fn(engine, scope)));
  }

  /** `fn` with the (opened) engine; a client that is closed or cannot open rejects. */
  #withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    let engine: Engine;
    try {
      engine = this.#engineOrOpen();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return fn(engine);
  }

  /** A handle; without a given function, the one the configuration names is rebuilt (as the official client does). */
  async #collection(info: CollectionInfo, ef: EmbeddingFunction | null | undefined): Promise<Collection> {
    if (ef) return new Collection(this.#context, info, ef);
    const resolved = await resolveEmbeddingFunction(info.configuration.embedding_function);
    return new Collection(this.#context, info, resolved.ef, resolved.missing);
  }

  /** Nanoseconds since the epoch, like Chroma's heartbeat. */
  heartbeat(options?: CallOptions): Promise<number> {
    return this.#run("heartbeat", options, () => Date.now() * 1_000_000);
  }

  /** chromalite's version. */
  version(options?: CallOptions): Promise<string> {
    return this.#run("version", options, () => VERSION);
  }

  getMaxBatchSize(options?: CallOptions): Promise<number> {
    return this.#run("getMaxBatchSize", options, (engine) => engine.maxBatchSize);
  }

  getPreflightChecks(options?: CallOptions): Promise<{ max_batch_size: number; supports_base64_encoding: boolean }> {
    return this.#run("getPreflightChecks", options, (engine) => ({
      max_batch_size: engine.maxBatchSize,
      supports_base64_encoding: true,
    }));
  }

  /** Whether embeddings may travel as base64 (the official client asks the server; in process: yes). */
  supportsBase64Encoding(options?: CallOptions): Promise<boolean> {
    return this.#run("supportsBase64Encoding", options, () => true);
  }

  /**
   * A lightweight handle on the collection with this id, without looking it up (as the official
   * client's `collection(id)`): calls with embeddings work, calls that need the embedding function or
   * `modify` are refused, and a missing collection fails on first use with `NotFoundError`.
   */
  collection(id: string): Collection {
    if (typeof id !== "string") throw new InvalidArgumentError(`Expected 'id' to be a string, got ${typeof id}`);
    return new CollectionHandle(this.#context, id, this.#tenant, this.#database);
  }

  getUserIdentity(options?: CallOptions): Promise<{ user_id: string; tenant: string; databases: string[] }> {
    return this.#run("getUserIdentity", options, () => ({
      user_id: "",
      tenant: this.#tenant,
      databases: [this.#database],
    }));
  }

  /** Creates a collection; a name that exists rejects with `UniqueConstraintError`. */
  createCollection(args: CollectionArgs): Promise<Collection> {
    return this.#create("createCollection", args, false);
  }

  /** Returns the named collection, creating it (with these settings) if it does not exist. */
  getOrCreateCollection(args: CollectionArgs): Promise<Collection> {
    return this.#create("getOrCreateCollection", args, true);
  }

  #create(op: string, args: CollectionArgs, getOrCreate: boolean): Promise<Collection> {
    return this.#run(op, args, async (engine, scope) => {
      if (args === null || typeof args !== "object") throw new InvalidArgumentError(`${op} expects an arguments object`);
      const configuration = args.configuration ?? {};
      checkOneVectorIndex(configuration, "Cannot specify both HNSW and SPANN configurations");
      const ef = args.embeddingFunction ?? configuration.embeddingFunction ?? undefined;
      const { info } = await engine.catalog.createCollection(
        {
          tenant: this.#tenant,
          database: this.#database,
          name: args.name,
          metadata: clientCollectionMetadata(args.metadata),
          hnsw: configuration.hnsw ?? hnswFromSpann(configuration.spann),
          embeddingFunction: describeEmbeddingFunction(ef),
          defaultSpace: ef?.defaultSpace?.(),
          getOrCreate,
        },
        scope,
      );
      return this.#collection(info, ef);
    });
  }

  /** The named collection; rejects with `NotFoundError` if there is none. */
  getCollection(args: { name: string; embeddingFunction?: EmbeddingFunction } & CallOptions): Promise<Collection> {
    return this.#run("getCollection", args, (engine, scope) =>
      raceScope(this.#collection(engine.catalog.getCollection(this.#tenant, this.#database, args.name), args.embeddingFunction), scope),
    );
  }

  /** The collection with this id. */
  getCollectionById(id: string, options?: CallOptions & { embeddingFunction?: EmbeddingFunction }): Promise<Collection> {
    return this.#run("getCollectionById", options, (engine, scope) =>
      raceScope(this.#collection(engine.catalog.getCollectionById(id), options?.embeddingFunction), scope),
    );
  }

  /** Several collections by name. */
  async getCollections(items: (string | { name: string; embeddingFunction?: EmbeddingFunction })[]): Promise<Collection[]> {
    const out: Collection[] = [];
    for (const item of items) out.push(await this.getCollection(typeof item === "string" ? { name: item } : item));
    return out;
  }

  /** Collections of this client's database in creation order; `limit` defaults to 100. */
  listCollections(args: { limit?: number; offset?: number } & CallOptions = {}): Promise<Collection[]> {
    return this.#run("listCollections", args, (engine, scope) => {
      const limit = optionalU32(args.limit, "limit") ?? 100;
      const offset = optionalU32(args.offset, "offset") ?? 0;
      const infos = engine.catalog.listCollections(this.#tenant, this.#database, limit, offset);
      return raceScope(Promise.all(infos.map((info) => this.#collection(info, undefined))), scope);
    });
  }

  countCollections(options?: CallOptions): Promise<number> {
    return this.#run("countCollections", options, (engine) => engine.catalog.countCollections(this.#tenant, this.#database));
  }

  /** Deletes a collection and all its records. This is the only way records of a collection are removed wholesale. */
  deleteCollection(args: { name: string } & CallOptions): Promise<void> {
    return this.#run("deleteCollection", args, (engine, scope) =>
      engine.catalog.deleteCollection(this.#tenant, this.#database, args.name, scope),
    );
  }

  /** Deletes everything in the folder. Only with `allowReset: true`; otherwise `ResetDisabledError`. */
  reset(options?: CallOptions): Promise<void> {
    return this.#withEngine((engine) => engine.reset(options, { allowed: this.#options.allowReset === true }));
  }

  // ------------------------------------------------------------------ tenants and databases

  createTenant(args: { name: string } & CallOptions): Promise<void> {
    return this.#run("createTenant", args, (engine, scope) => engine.catalog.createTenant(args.name, scope));
  }

  getTenant(args: { name: string } & CallOptions): Promise<string> {
    return this.#run("getTenant", args, (engine) => engine.catalog.getTenant(args.name).name);
  }

  createDatabase(args: { name: string; tenant?: string } & CallOptions): Promise<void> {
    return this.#run("createDatabase", args, (engine, scope) =>
      engine.catalog.createDatabase(args.tenant ?? this.#tenant, args.name, scope),
    );
  }

  getDatabase(args: { name: string; tenant?: string } & CallOptions): Promise<Database> {
    return this.#run("getDatabase", args, (engine) => engine.catalog.getDatabase(args.tenant ?? this.#tenant, args.name));
  }

  listDatabases(args: { tenant?: string; limit?: number; offset?: number } & CallOptions = {}): Promise<Database[]> {
    return this.#run("listDatabases", args, (engine) =>
      engine.catalog.listDatabases(args.tenant ?? this.#tenant, args.limit ?? -1, args.offset ?? 0),
    );
  }

  deleteDatabase(args: { name: string; tenant?: string } & CallOptions): Promise<void> {
    return this.#run("deleteDatabase", args, (engine, scope) =>
      engine.catalog.deleteDatabase(args.tenant ?? this.#tenant, args.name, scope),
    );
  }

  /** Points this client at another tenant / database (both must exist). */
  async setDatabase(args: { tenant?: string; database: string } & CallOptions): Promise<void> {
    const tenant = args.tenant ?? this.#tenant;
    await this.getDatabase({ name: args.database, tenant, signal: args.signal, timeout: args.timeout });
    this.#tenant = tenant;
    this.#database = args.database;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Saves the vector indexes and checkpoints SQLite now; writes are durable without it. */
  flush(options?: CallOptions): Promise<void> {
    return this.#run("flush", options, (engine, scope) => engine.flush(scope));
  }

  /**
   * Closes the client: waits for its in-flight calls (or cancels them with `{ cancel: true }`),
   * indexes the vectors still pending (at most `timeout` ms, default 30 s; `onProgress` hears how many
   * are left), saves the indexes, checkpoints and closes SQLite and releases every file handle and the
   * folder lock. Keeps all data. Idempotent. Other clients on the same folder in this process keep it open.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const engine = this.#engine;
    const key = this.#key;
    this.#engine = undefined;
    if (!engine || key === undefined) return;
    const shared = openEngines.get(key);
    if (shared && shared.engine === engine) {
      shared.clients--;
      if (shared.clients > 0) return;
      openEngines.delete(key);
    }
    await engine.close(options);
  }

  /** `await using client = new PersistentClient(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
