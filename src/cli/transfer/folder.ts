/**
 * A chromalite folder as a source or sink, through the engine directly: it reads and writes float32
 * vectors and the stored configuration (embedding function description included) exactly, where the
 * public client would re-derive them. The folder is locked for the duration, like any client.
 */
import path from "node:path";
import { Engine, type CollectionInfo } from "../../engine/engine.js";
import { NotFoundError, UniqueConstraintError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { validateRecordBatch, type WriteKind } from "../../model/records.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../../model/defaults.js";
import type { Columns } from "../../model/include.js";
import type { OnConflict } from "../options.js";
import { creatableHnsw, type CollectionSpec, type CollectionWriter, type RecordPage, type Sink, type Source } from "./types.js";

const ALL_COLUMNS: Columns = { embeddings: true, documents: true, metadatas: true, uris: true };
/** Long copies must not hit the engine's default per-call timeout. */
const NO_TIMEOUT = { timeout: 0 };

export function scopeLabel(tenant: string, database: string): string {
  return tenant === DEFAULT_TENANT && database === DEFAULT_DATABASE ? "" : ` (tenant ${tenant}, database ${database})`;
}

export class FolderEndpoint implements Source, Sink {
  readonly description: string;
  readonly #engine: Engine;
  readonly #tenant: string;
  readonly #database: string;
  /** Ids of collections this endpoint listed, by name (a spec from elsewhere has a foreign id). */
  readonly #ids = new Map<string, string>();

  private constructor(engine: Engine, tenant: string, database: string) {
    this.#engine = engine;
    this.#tenant = tenant;
    this.#database = database;
    this.description = `${engine.path}${scopeLabel(tenant, database)}`;
  }

  /**
   * Opens (and locks) the folder. As a sink (`create`), a missing tenant or database is created (with
   * the engine's name rules, as any client would); as a source it must exist.
   */
  static async open(dir: string, opts: { tenant: string; database: string; create: boolean; logger?: Logger }): Promise<FolderEndpoint> {
    const engine = Engine.open({ path: path.resolve(dir), logger: opts.logger });
    const catalog = engine.catalog;
    try {
      await engine.run("openFolder", NO_TIMEOUT, async (scope) => {
        if (opts.create) {
          if (!tryGet(() => catalog.getTenant(opts.tenant))) await catalog.createTenant(opts.tenant, scope);
          if (!tryGet(() => catalog.getDatabase(opts.tenant, opts.database))) await catalog.createDatabase(opts.tenant, opts.database, scope);
        } else {
          catalog.getDatabase(opts.tenant, opts.database);
        }
      });
    } catch (err) {
      // The error at hand is what matters; closing (releasing the lock) cannot add to it.
      engine.close().catch(() => undefined);
      throw err;
    }
    return new FolderEndpoint(engine, opts.tenant, opts.database);
  }

  get engine(): Engine {
    return this.#engine;
  }

  async collections(names: readonly string[]): Promise<CollectionSpec[]> {
    const engine = this.#engine;
    const infos = await engine.run("listCollections", NO_TIMEOUT, () => {
      if (names.length === 0) return engine.catalog.listCollections(this.#tenant, this.#database, -1, 0);
      return names.map((name) => {
        try {
          return engine.catalog.getCollection(this.#tenant, this.#database, name);
        } catch (err) {
          if (err instanceof NotFoundError) throw new NotFoundError(`collection '${name}' not found in ${this.description}`);
          throw err;
        }
      });
    });
    const specs: CollectionSpec[] = [];
    for (const info of infos) {
      const count = await engine.run("count", NO_TIMEOUT, (scope) => engine.count(info.id, scope));
      this.#ids.set(info.name, info.id);
      specs.push(toSpec(info, count));
    }
    return specs;
  }

  async *pages(spec: CollectionSpec, pageSize: number): AsyncGenerator<RecordPage> {
    const id = this.#ids.get(spec.name);
    if (id === undefined) throw new NotFoundError(`collection '${spec.name}' not found in ${this.description}`);
    const engine = this.#engine;
    for (let offset = 0; ; offset += pageSize) {
      const rows = await engine.run("export", NO_TIMEOUT, (scope) => engine.page(id, pageSize, offset, ALL_COLUMNS, scope));
      if (rows.length === 0) return;
      yield {
        ids: rows.map((r) => r.id),
        embeddings: rows.map((r) => r.embedding!),
        documents: rows.map((r) => r.document),
        metadatas: rows.map((r) => r.metadata),
        uris: rows.map((r) => r.uri),
      };
      if (rows.length < pageSize) return;
    }
  }

  async open(spec: CollectionSpec, onConflict: OnConflict): Promise<CollectionWriter> {
    const engine = this.#engine;
    const name = spec.name;
    const { info } = await engine.run("createCollection", NO_TIMEOUT, async (scope) => {
      try {
        return await engine.catalog.createCollection(
          {
            tenant: this.#tenant,
            database: this.#database,
            name,
            metadata: spec.metadata,
            hnsw: creatableHnsw(spec.configuration.hnsw),
            embeddingFunction: spec.configuration.embedding_function,
            getOrCreate: onConflict !== "fail",
          },
          scope,
        );
      } catch (err) {
        if (err instanceof UniqueConstraintError) {
          throw new UniqueConstraintError(
            `collection '${name}' already exists in ${this.description}: pass --on-conflict skip (keep its records, add the new ones) or --on-conflict upsert (overwrite records with the same id)`,
          );
        }
        throw err;
      }
    });
    const kind: WriteKind = onConflict === "upsert" ? "upsert" : "add";
    return {
      maxBatch: engine.maxBatchSize,
      write: async (page: RecordPage) => {
        return engine.run(kind, NO_TIMEOUT, async (scope) => {
          const batch = validateRecordBatch(page, kind, {
            mode: "server",
            dimension: engine.collectionDimension(info.id),
            maxBatchSize: engine.maxBatchSize,
          });
          return engine.write(info.id, kind, batch, scope);
        });
      },
    };
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}

function tryGet(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

function toSpec(info: CollectionInfo, count: number): CollectionSpec {
  return {
    name: info.name,
    id: info.id,
    metadata: info.metadata,
    configuration: {
      hnsw: { ...info.configuration.hnsw },
      embedding_function: info.configuration.embedding_function,
    },
    dimension: info.dimension,
    count,
  };
}
