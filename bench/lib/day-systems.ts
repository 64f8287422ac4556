/**
 * The three systems of the day and load benchmarks behind one small interface: chromalite in process,
 * chromalite's server and the real Chroma, both through the official `chromadb` client. Settings are
 * those of the main benchmark (systems/types.ts HNSW).
 */
import { ChromaClient, type Collection as ClientCollection } from "chromadb";
import type { Space } from "./datasets.js";
import type { Records } from "./day-data.js";
import { startServerProc, type ServerId, type ServerProc } from "./servers.js";
import { HNSW } from "../systems/types.js";

export type DaySystemId = "chromalite" | ServerId;
export const DAY_SYSTEMS: readonly DaySystemId[] = ["chromalite", "chromalite-server", "chroma"];
export const DAY_LABELS: Record<DaySystemId, string> = {
  chromalite: "chromalite (in process)",
  "chromalite-server": "chromalite server + chromadb client",
  chroma: "Chroma 1.4.4 server + chromadb client",
};

export interface Status {
  indexed: number;
  total: number;
}

export interface DaySystem {
  add(r: Records): Promise<void>;
  /** Ids of the k nearest, with the default result fields (documents, metadatas, distances). */
  query(q: number[], k: number): Promise<string[]>;
  /** getIndexingStatus(); null where the system does not implement it (the real Chroma). */
  status(): Promise<Status | null>;
  close(): Promise<void>;
  /** The server process, for the servers. */
  server?: ServerProc;
}

const NAME = "day";
const configuration = (space: Space) => ({
  hnsw: { space, max_neighbors: HNSW.m, ef_construction: HNSW.efConstruction, ef_search: HNSW.efSearch },
});

async function inProcess(dir: string, space: Space): Promise<DaySystem> {
  // Loaded here only: the client-side processes (drivers, the Chroma worker) hold none of chromalite.
  const { PersistentClient } = await import("../../src/index.js");
  const client = new PersistentClient({ path: dir, timeout: 0 });
  const col = await client.createCollection({ name: NAME, configuration: configuration(space) });
  return {
    add: (r) => col.add(r),
    query: async (q, k) => (await col.query({ queryEmbeddings: [q], nResults: k })).ids[0] ?? [],
    async status() {
      const s = await col.getIndexingStatus();
      return { indexed: s.num_indexed_ops, total: s.total_ops };
    },
    close: () => client.close(),
  };
}

/** A collection through the official client, on a server that is already running. */
export async function clientCollection(server: Pick<ServerProc, "host" | "port">, create?: Space): Promise<ClientCollection> {
  const client = new ChromaClient({ host: server.host, port: server.port });
  if (create) return client.createCollection({ name: NAME, embeddingFunction: null, configuration: configuration(create) });
  return client.getCollection({ name: NAME, embeddingFunction: null } as unknown as { name: string });
}

/** getIndexingStatus() through the client; null once it has failed (the real Chroma has none). */
export function clientStatus(col: ClientCollection): () => Promise<Status | null> {
  let unsupported = false;
  return async () => {
    if (unsupported) return null;
    try {
      const s = await col.getIndexingStatus();
      return { indexed: s.num_indexed_ops, total: s.total_ops };
    } catch {
      unsupported = true;
      return null;
    }
  };
}

async function overClient(id: ServerId, dir: string, space: Space): Promise<DaySystem> {
  const server = await startServerProc(id, dir);
  try {
    const col = await clientCollection(server, space);
    return {
      server,
      add: (r) => col.add(r),
      query: async (q, k) => (await col.query({ queryEmbeddings: [q], nResults: k })).ids[0] ?? [],
      status: clientStatus(col),
      close: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export const openDaySystem = (id: DaySystemId, dir: string, space: Space): Promise<DaySystem> =>
  id === "chromalite" ? inProcess(dir, space) : overClient(id, dir, space);
