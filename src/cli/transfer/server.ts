/**
 * A Chroma server (the real one, a cluster's frontend, or `chromalite run`) as a source or sink,
 * through the official `chromadb` client. That package is an optional peer dependency, loaded only
 * here: it brings ~50 MB of native bindings that users of the embedded database do not need.
 */
import type * as Chroma from "chromadb";
import { InvalidArgumentError, NotFoundError, UniqueConstraintError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../../model/defaults.js";
import type { CollectionMetadata, EmbeddingFunction, EmbeddingFunctionConfiguration, Metadata } from "../../types.js";
import { UsageError } from "../context.js";
import type { OnConflict } from "../options.js";
import { scopeLabel } from "./folder.js";
import { creatableHnsw, type CollectionSpec, type CollectionWriter, type RecordPage, type Sink, type Source, type WriteCounts } from "./types.js";

type ChromaModule = typeof Chroma;

export const MISSING_CHROMADB =
  "copying to or from a Chroma server needs the official client: install chromadb (npm install chromadb@^3.5)";

/** Loads the official client; a clear error when it is not installed. */
export async function loadChromadb(specifier = "chromadb"): Promise<ChromaModule> {
  try {
    return (await import(specifier)) as ChromaModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && (err as Error).message.includes(specifier)) {
      throw new Error(MISSING_CHROMADB, { cause: err });
    }
    throw err;
  }
}

export function isServerUrl(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

/** host, port and ssl of an http(s)://host[:port] URL; the port defaults to the scheme's (80 / 443). */
export function parseServerUrl(target: string): { host: string; port: number; ssl: boolean; url: string } {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new UsageError(`'${target}' is not a valid URL`);
  }
  if (u.pathname !== "/" || u.search !== "" || u.hash !== "") {
    throw new UsageError(`'${target}': a path after host:port is not supported by the official client; give http(s)://host:port`);
  }
  if (u.username || u.password) throw new UsageError(`'${target}': pass credentials with --token, not in the URL`);
  const ssl = u.protocol === "https:";
  const port = u.port ? Number(u.port) : ssl ? 443 : 80;
  return { host: u.hostname, port, ssl, url: `${u.protocol}//${u.host}` };
}

// The official client warns on stderr (console.warn) when it cannot rebuild a collection's embedding
// function; copy never embeds, so those warnings go to the debug log instead.
let quietDepth = 0;
let savedWarn: typeof console.warn | undefined;
function quietWarnings(logger: Logger | undefined): () => void {
  if (quietDepth++ === 0) {
    savedWarn = console.warn;
    console.warn = (...args: unknown[]) => logger?.debug?.({}, `chromadb: ${args.map(String).join(" ")}`);
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--quietDepth === 0 && savedWarn) console.warn = savedWarn;
  };
}

/**
 * An object the official client serialises to exactly `config` (it records `{name, config}` of a
 * function that has `name`, `getConfig` and a class with `buildFromConfig`, and `legacy` otherwise).
 * It is never called: copy sends embeddings.
 */
function describedFunction(config: EmbeddingFunctionConfiguration | null): EmbeddingFunction | undefined {
  if (!config) return undefined;
  const generate = () => Promise.reject(new Error("chromalite copy sends embeddings; it never embeds"));
  if (config.type !== "known") return { generate };
  const { name, config: settings } = config;
  class Described {
    static buildFromConfig(): Described {
      return new Described();
    }
    readonly name = name;
    getConfig(): Record<string, unknown> {
      return settings ?? {};
    }
    generate = generate;
  }
  return new Described();
}

/** Chroma's server crashes on arrays in collection metadata (chromalite accepts them). */
function arrayKey(metadata: CollectionMetadata | null): string | undefined {
  return metadata ? Object.keys(metadata).find((k) => Array.isArray(metadata[k])) : undefined;
}

/** The records of `page` at `keep` (indexes, in order). */
function pick(page: RecordPage, keep: number[]): RecordPage {
  return {
    ids: keep.map((i) => page.ids[i]!),
    embeddings: keep.map((i) => page.embeddings[i]!),
    documents: keep.map((i) => page.documents[i]!),
    metadatas: keep.map((i) => page.metadatas[i]!),
    uris: keep.map((i) => page.uris[i]!),
  };
}

/** Which of the client's error classes `err` is (its `name` is not always the class name). */
function errorKind(err: unknown): string {
  if (!(err instanceof Error)) return "";
  const cls = (err.constructor as { name?: string } | undefined)?.name;
  return cls && cls !== "Error" ? cls : err.name;
}

export interface ServerOptions {
  token?: string;
  tenant: string;
  database: string;
  logger?: Logger;
  /** Creates a missing tenant / database (as a sink). */
  create: boolean;
}

export class ServerEndpoint implements Source, Sink {
  readonly description: string;
  readonly #client: Chroma.ChromaClient;
  readonly #chroma: ChromaModule;
  readonly #url: string;
  readonly #restoreWarn: () => void;
  readonly #collections = new Map<string, Chroma.Collection>();

  private constructor(chroma: ChromaModule, client: Chroma.ChromaClient, url: string, description: string, restore: () => void) {
    this.#chroma = chroma;
    this.#client = client;
    this.#url = url;
    this.description = description;
    this.#restoreWarn = restore;
  }

  static async connect(target: string, opts: ServerOptions): Promise<ServerEndpoint> {
    const { host, port, ssl, url } = parseServerUrl(target);
    const chroma = await loadChromadb();
    // Chroma reads the token from x-chroma-token or Authorization, whichever the server is set up for.
    const headers: Record<string, string> =
      opts.token === undefined ? {} : { "x-chroma-token": opts.token, authorization: `Bearer ${opts.token}` };
    const client = new chroma.ChromaClient({ host, port, ssl, tenant: opts.tenant, database: opts.database, headers });
    const restore = quietWarnings(opts.logger);
    const endpoint = new ServerEndpoint(chroma, client, url, `${url}${scopeLabel(opts.tenant, opts.database)}`, restore);
    try {
      await endpoint.#call("connect", () => client.heartbeat());
      await endpoint.#ensureDatabase({ host, port, ssl, headers }, opts);
    } catch (err) {
      restore();
      throw err;
    }
    return endpoint;
  }

  /** One line that says which server and what went wrong, whatever the official client threw. */
  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#explain(err, what);
    }
  }

  #explain(err: unknown, what: string): Error {
    if (!(err instanceof Error)) return new Error(`${this.#url}: ${what}: ${String(err)}`);
    const message = err.message.split("\n")[0];
    switch (errorKind(err)) {
      case "ChromaConnectionError":
        return new Error(`cannot connect to the Chroma server at ${this.#url} (is it running?)`, { cause: err });
      case "ChromaUnauthorizedError":
        return new Error(`${this.#url}: unauthorized: pass the server's token with --token (or --from-token / --to-token)`, { cause: err });
      case "ChromaForbiddenError":
        return new Error(`${this.#url}: forbidden: the token is not allowed to ${what}`, { cause: err });
      case "ChromaNotFoundError":
        return new NotFoundError(`${this.#url}: ${what}: not found`, { cause: err });
      case "ChromaUniqueError":
        return new UniqueConstraintError(`${this.#url}: ${what}: already exists`, { cause: err });
      default:
        return new Error(`${this.#url}: ${what}: ${message}`, { cause: err });
    }
  }

  async #ensureDatabase(conn: { host: string; port: number; ssl: boolean; headers: Record<string, string> }, opts: ServerOptions): Promise<void> {
    if (opts.tenant === DEFAULT_TENANT && opts.database === DEFAULT_DATABASE) return;
    const admin = new this.#chroma.AdminClient(conn);
    try {
      await admin.getDatabase({ name: opts.database, tenant: opts.tenant });
      return;
    } catch (err) {
      if (errorKind(err) !== "ChromaNotFoundError") throw this.#explain(err, `get database ${opts.database}`);
      if (!opts.create) throw new NotFoundError(`${this.#url}: database '${opts.database}' of tenant '${opts.tenant}' not found`);
    }
    try {
      await admin.getTenant({ name: opts.tenant });
    } catch (err) {
      if (errorKind(err) !== "ChromaNotFoundError") throw this.#explain(err, `get tenant ${opts.tenant}`);
      await this.#call(`create tenant ${opts.tenant}`, () => admin.createTenant({ name: opts.tenant }));
    }
    await this.#call(`create database ${opts.database}`, () => admin.createDatabase({ name: opts.database, tenant: opts.tenant }));
  }

  async collections(names: readonly string[]): Promise<CollectionSpec[]> {
    const found: Chroma.Collection[] = [];
    if (names.length === 0) {
      for (let offset = 0; ; offset += 100) {
        const page = await this.#call("list collections", () => this.#client.listCollections({ limit: 100, offset }));
        found.push(...page);
        if (page.length < 100) break;
      }
    } else {
      for (const name of names) {
        try {
          found.push(await this.#client.getCollection({ name }));
        } catch (err) {
          const explained = this.#explain(err, `get collection ${name}`);
          if (explained instanceof NotFoundError) throw new NotFoundError(`collection '${name}' not found at ${this.description}`);
          throw explained;
        }
      }
    }
    const specs: CollectionSpec[] = [];
    for (const c of found) {
      this.#collections.set(c.name, c);
      const count = await this.#call(`count ${c.name}`, () => c.count());
      // The client keeps the server's configuration_json (snake_case keys) as it came.
      const conf = (c.configuration ?? {}) as Record<string, unknown>;
      const hnsw = conf.hnsw ?? null;
      const spann = conf.spann as { space?: string } | null | undefined;
      specs.push({
        name: c.name,
        id: c.id,
        metadata: (c.metadata ?? null) as CollectionMetadata | null,
        configuration: {
          // A cluster's collections are SPANN: keep at least their distance function.
          hnsw: hnsw ?? (spann?.space ? ({ space: spann.space } as CollectionSpec["configuration"]["hnsw"]) : null),
          embedding_function: (conf.embedding_function ?? conf.embeddingFunction ?? null) as EmbeddingFunctionConfiguration | null,
        },
        dimension: null,
        count,
      });
    }
    return specs;
  }

  async *pages(spec: CollectionSpec, pageSize: number): AsyncGenerator<RecordPage> {
    const collection = this.#collections.get(spec.name);
    if (!collection) throw new NotFoundError(`collection '${spec.name}' not found at ${this.description}`);
    for (let offset = 0; ; offset += pageSize) {
      const got = await this.#call(`read ${spec.name}`, () =>
        collection.get({ limit: pageSize, offset, include: ["embeddings", "documents", "metadatas", "uris"] }),
      );
      if (got.ids.length === 0) return;
      yield {
        ids: got.ids,
        embeddings: got.embeddings.map((e) => Float32Array.from(e)),
        documents: got.documents.map((d) => d ?? null),
        metadatas: got.metadatas.map((m) => (m ?? null) as Metadata | null),
        uris: got.uris.length === got.ids.length ? got.uris.map((u) => u ?? null) : got.ids.map(() => null),
      };
      if (got.ids.length < pageSize) return;
    }
  }

  check(specs: readonly CollectionSpec[]): void {
    for (const spec of specs) {
      const key = arrayKey(spec.metadata);
      if (key !== undefined) {
        throw new InvalidArgumentError(
          `collection '${spec.name}': its metadata key '${key}' holds an array, which Chroma's server cannot store in collection metadata; change it (collection.modify) or leave the collection out`,
        );
      }
    }
  }

  async open(spec: CollectionSpec, onConflict: OnConflict): Promise<CollectionWriter> {
    const configuration: Chroma.CreateCollectionConfiguration = {};
    const hnsw = creatableHnsw(spec.configuration.hnsw);
    if (hnsw) configuration.hnsw = hnsw;
    const ef = describedFunction(spec.configuration.embedding_function);
    if (ef) configuration.embeddingFunction = ef;
    let collection: Chroma.Collection;
    try {
      collection = await this.#client.createCollection({
        name: spec.name,
        metadata: spec.metadata ?? undefined,
        configuration,
        embeddingFunction: null,
      });
    } catch (err) {
      const explained = this.#explain(err, `create collection ${spec.name}`);
      if (!(explained instanceof UniqueConstraintError)) throw explained;
      if (onConflict === "fail") {
        throw new UniqueConstraintError(
          `collection '${spec.name}' already exists at ${this.description}: pass --on-conflict skip (keep its records, add the new ones) or --on-conflict upsert (overwrite records with the same id)`,
        );
      }
      collection = await this.#call(`get collection ${spec.name}`, () => this.#client.getCollection({ name: spec.name }));
    }
    const maxBatch = await this.#call("get max batch size", () => this.#client.getMaxBatchSize());
    const upsert = onConflict === "upsert";
    const name = spec.name;
    return {
      maxBatch,
      write: async (all: RecordPage) => {
        let page = all;
        // Which ids are there already: skip leaves them alone (dropping them here also keeps the
        // document update below off them); upsert replaces them, and the counts say so.
        // (With `fail` the collection is one this copy created: nothing to look up.)
        const taken = new Set(
          onConflict === "fail" ? [] : (await this.#call(`read ${name}`, () => collection.get({ ids: all.ids, include: [] }))).ids,
        );
        const counts: WriteCounts = { added: 0, updated: 0, skipped: 0 };
        for (const id of all.ids) {
          if (!taken.has(id)) counts.added++;
          else if (upsert) counts.updated++;
          else counts.skipped++;
        }
        if (!upsert && taken.size > 0) page = pick(all, all.ids.flatMap((id, i) => (taken.has(id) ? [] : [i])));
        if (page.ids.length === 0) return counts;
        const withDocs = page.ids.flatMap((_, i) => (page.documents[i] !== null ? [i] : []));
        const metadatas = page.metadatas.map((m) => (m && Object.keys(m).length > 0 ? m : null));
        const args = {
          ids: page.ids,
          embeddings: page.embeddings.map((e) => Array.from(e)),
          // The official client refuses null among documents: with a mix, the documents follow in an update.
          ...(withDocs.length === page.ids.length ? { documents: page.documents as string[] } : {}),
          // Columns that are all empty are left out: less to send, and nothing to clear on upsert.
          ...(metadatas.some((m) => m !== null) ? { metadatas: metadatas as Chroma.Metadata[] } : {}),
          ...(page.uris.some((u) => u !== null) ? { uris: page.uris as string[] } : {}),
        };
        await this.#call(`${upsert ? "upsert" : "add"} to ${name}`, () => (upsert ? collection.upsert(args) : collection.add(args)));
        if (withDocs.length > 0 && withDocs.length < page.ids.length) {
          const docs = pick(page, withDocs);
          await this.#call(`update ${name}`, () =>
            collection.update({
              ids: docs.ids,
              // With the embeddings given, the client does not try to embed the documents.
              embeddings: docs.embeddings.map((e) => Array.from(e)),
              documents: docs.documents as string[],
            }),
          );
        }
        return counts;
      },
    };
  }

  close(): Promise<void> {
    this.#restoreWarn();
    return Promise.resolve();
  }
}
