/**
 * Systems reached over HTTP through the official `chromadb` client: chromalite's server and the
 * real Chroma server (the oracle). Both run in their own process; the client runs in the harness.
 */
import { ChromaClient, type Collection, type Where } from "chromadb";
import type { ChildProcess } from "node:child_process";
import type { Dataset, FilterSpec } from "../lib/datasets.js";
import { oracleAvailable, startOracle } from "../lib/oracle.js";
import { exited, forkServerChild, peakRss, sleep, terminate } from "../lib/proc.js";
import { HNSW, type Handle, type SystemContext, type SystemDef } from "./types.js";

const NAME = "bench";

interface ServerProc {
  host: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function where(filter: FilterSpec | undefined): Where | undefined {
  return filter ? ({ [filter.key]: filter.value }) : undefined;
}

interface ClientSystemOptions {
  start(dir: string): Promise<ServerProc>;
  /** Why the index lag cannot be measured, when the server has no getIndexingStatus. */
  lagNote?: string;
  /**
   * Restart the server after changing ef_search: the real Chroma stores the new value but keeps
   * searching a loaded index with the old one (its recall does not move), so the sweep reopens it.
   */
  restartOnEf?: boolean;
}

async function connect(server: ServerProc, create: Dataset | undefined): Promise<Collection> {
  const client = new ChromaClient({ host: server.host, port: server.port });
  if (create) {
    return client.createCollection({
      name: NAME,
      embeddingFunction: null,
      configuration: {
        hnsw: { space: create.meta.space, max_neighbors: HNSW.m, ef_construction: HNSW.efConstruction, ef_search: HNSW.efSearch },
      },
    });
  }
  // No embedding function: every call passes embeddings, and the default one would need a model.
  return client.getCollection({ name: NAME, embeddingFunction: null } as unknown as { name: string });
}

async function open(options: ClientSystemOptions, dir: string, ds: Dataset, create: boolean): Promise<Handle> {
  let server = await options.start(dir);
  let col: Collection;
  try {
    col = await connect(server, create ? ds : undefined);
  } catch (err) {
    await server.stop();
    throw err;
  }
  // The server's peak RSS, over every server process this handle ran (the sweep may restart it).
  let peak = 0;
  const stop = async () => {
    peak = Math.max(peak, peakRss(server.pid) ?? 0);
    await server.stop();
  };
  const rows = (ids: string[] | undefined) => (ids ?? []).map((id) => ds.rowOf.get(id) ?? -1);
  const h: Handle & { indexLagNote?: string } = {
    serverPeakRss: () => Math.max(peak, peakRss(server.pid) ?? 0) || undefined,
    add: (b) => col.add({ ids: b.ids, embeddings: b.embeddings, documents: b.documents, metadatas: b.metadatas }),
    async waitIndexed() {
      for (;;) {
        let status;
        try {
          status = await col.getIndexingStatus();
        } catch (err) {
          h.indexLagNote = options.lagNote ?? `getIndexingStatus failed: ${String(err).split("\n")[0]}`;
          return;
        }
        if (status.num_unindexed_ops === 0) return;
        await sleep(20);
      }
    },
    query: async (q, k, filter) => rows((await col.query({ queryEmbeddings: [q], nResults: k, where: where(filter) })).ids[0]),
    queryIdsOnly: async (q, k) => rows((await col.query({ queryEmbeddings: [q], nResults: k, include: [] })).ids[0]),
    async setEf(ef) {
      await col.modify({ configuration: { hnsw: { ef_search: ef } } });
      if (options.restartOnEf) {
        await stop();
        server = await options.start(dir);
        col = await connect(server, undefined);
      }
    },
    getById: async (id) => (await col.get({ ids: [id] })).ids.length,
    getWhere: async (filter) => (await col.get({ where: where(filter) })).ids.length,
    close: stop,
  };
  return h;
}

function clientSystem(def: Pick<SystemDef, "id" | "label" | "settings" | "prepare">, options: ClientSystemOptions): SystemDef {
  return {
    ...def,
    create: ({ dir, ds }: SystemContext) => open(options, dir, ds, true),
    open: ({ dir, ds }: SystemContext) => open(options, dir, ds, false),
  };
}

// ---------------------------------------------------------------- chromalite's server

/** Server children started ahead of time: Node + tsx start-up is not part of "open". */
let spare: Promise<ChildProcess> | undefined;

function bootServerChild(): Promise<ChildProcess> {
  const child = forkServerChild({ stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`chromalite server child exited during start-up (code ${code})`)));
    child.once("message", () => resolve(child));
  });
}

async function startChromaliteServer(dir: string): Promise<ServerProc> {
  const child = await (spare ?? bootServerChild());
  spare = undefined;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(m.error))));
    child.send({ cmd: "start", path: dir });
  });
  return {
    host: "127.0.0.1",
    port,
    pid: child.pid!,
    async stop() {
      if (child.connected) child.send({ cmd: "close" });
      if (!(await exited(child, 60_000))) await terminate(child);
    },
  };
}

export const chromaliteServer: SystemDef = clientSystem(
  {
    id: "chromalite-server",
    label: "chromalite server + chromadb client",
    settings: (m) =>
      `startServer (own process) + chromadb@3.5.0 ChromaClient; space ${m.space}, max_neighbors ${HNSW.m}, ef_construction ${HNSW.efConstruction}, ef_search ${HNSW.efSearch}`,
    async prepare() {
      spare = bootServerChild();
      await spare;
      return null;
    },
  },
  { start: startChromaliteServer },
);

// ---------------------------------------------------------------- the real Chroma

export const chroma: SystemDef = clientSystem(
  {
    id: "chroma",
    label: "Chroma 1.4.4 server + chromadb client",
    settings: (m) =>
      `chroma 1.4.4 (Rust, from chromadb@3.5.0's binding, own process) + chromadb@3.5.0 ChromaClient; space ${m.space}, max_neighbors ${HNSW.m}, ef_construction ${HNSW.efConstruction}, ef_search ${HNSW.efSearch}`,
    async prepare() {
      // Installs the oracle if needed (scripts/oracle/setup.sh) before any timer runs.
      const status = await oracleAvailable();
      return status.ok ? null : `the real Chroma is not available here: ${status.reason}`;
    },
  },
  {
    async start(dir) {
      const o = await startOracle({ dataDir: dir });
      return { host: o.host, port: o.port, pid: o.pid, stop: () => o.stop() };
    },
    lagNote:
      "not measurable: local Chroma does not implement getIndexingStatus; its add returns once the records are in its log, and queries see them",
    restartOnEf: true,
  },
);
