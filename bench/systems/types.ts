/** What the harness needs from each system under test. */
import type { Dataset, FilterSpec, Meta } from "../lib/datasets.js";

/** One batch of records, in the shape a user of any of these libraries would have them. */
export interface Batch {
  /** Row index of the first record. */
  start: number;
  ids: string[];
  embeddings: number[][];
  documents: string[];
  metadatas: Meta[];
}

export interface Handle {
  add(batch: Batch): Promise<void>;
  /** Resolves once every added vector is in the ANN index (no-op where add already does that). */
  waitIndexed(): Promise<void>;
  /** How the index lag was measured, when it could not be (e.g. not exposed by the system). */
  readonly indexLagNote?: string;
  /** Top-k row indices, nearest first, with the system's default result fields. */
  query(q: number[], k: number, filter?: FilterSpec): Promise<number[]>;
  /** Same, ids only (where the API has that): splits ANN time from row fetching. */
  queryIdsOnly?(q: number[], k: number): Promise<number[]>;
  /** Changes the search-time ef (absent: the system has no such knob). */
  setEf?(ef: number): Promise<void>;
  /** Fetches one record by id; returns how many came back. */
  getById?(id: string): Promise<number>;
  /** Fetches every record matching the filter; returns how many came back. */
  getWhere?(filter: FilterSpec): Promise<number>;
  /** Persists and releases everything. */
  close(): Promise<void>;
  /**
   * chromalite in process only: its own persisted graph, loaded into a second native index and
   * searched directly with the same width, labels only (no call path, no SQLite, no result). The floor
   * for chromalite's overhead on the same index. Undefined when the folder has no saved graph.
   */
  sameIndexSearch?(): Promise<((q: number[], k: number) => void) | undefined>;
  /** For servers: the server process's peak RSS in bytes, reported instead of the harness's. */
  serverPeakRss?(): number | undefined;
}

export interface SystemContext {
  /** The system's own data folder (exists, empty on create). */
  dir: string;
  ds: Dataset;
  /** Where peers that are not chromalite's dependencies are installed. */
  peersDir: string;
}

export interface SystemDef {
  id: string;
  label: string;
  /** The settings used, for the report. */
  settings(ds: Dataset["meta"]): string;
  /** Work done before any timer starts (installing, loading modules). Returns a reason to skip, or null. */
  prepare?(ctx: Omit<SystemContext, "ds">): Promise<string | null>;
  create(ctx: SystemContext): Promise<Handle>;
  /** Opens what `create` + `close` left in `dir`. */
  open(ctx: SystemContext): Promise<Handle>;
}

/** The ef values of the latency/recall sweep. */
export const EF_SWEEP = [10, 20, 40, 70, 100, 200, 400] as const;
export const HNSW = { m: 16, efConstruction: 100, efSearch: 100 } as const;
