/**
 * The ANN index: hnswlib (Chroma's own HNSW implementation) through chromalite's binding
 * (./native.ts). Inserts run on background threads while searches go on; see add(). It is derived
 * data: persisted as a generation of files plus a manifest, verified (size + CRC-32) on load, and
 * rebuilt from SQLite by the engine whenever it is missing, torn or disagrees with the store.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CorruptionError, InternalError } from "../errors.js";
import type { Space } from "../types.js";
import { LEASE_FILE } from "./indexer-lease.js";
import { tryLockPath } from "../util/flock.js";
import { crc32File, fsyncPath, writeFileAtomic } from "../util/fs.js";
import { native, type NativeHits, type NativeVectorIndex } from "./native.js";

export interface HnswParams {
  space: Space;
  dimension: number;
  maxNeighbors: number;
  efConstruction: number;
  efSearch: number;
  resizeFactor: number;
  /** Nice level of the insert threads (0: the process's own); CHROMALITE_INSERT_NICE overrides it. */
  insertNice?: number;
}

export type { NativeHits as IndexHits };

interface FileEntry {
  name: string;
  size: number;
  crc32: number;
}

/** The manifest of a persisted index generation (`index.json`). */
export interface IndexManifest {
  format: 1;
  generation: number;
  /** Every vector change of the collection up to this sequence number is in the files. */
  seq: number;
  space: Space;
  dimension: number;
  maxNeighbors: number;
  efConstruction: number;
  liveCount: number;
  graph: FileEntry;
  deleted: FileEntry;
}

export const MANIFEST_FILE = "index.json";
/** The folder (inside a data folder) that holds one folder of index files per collection. */
const INDEX_ROOT = "index";

/** Where the vector indexes of a data folder live: `<dataDir>/index`. */
export function indexRoot(dataDir: string): string {
  return path.join(dataDir, INDEX_ROOT);
}

/** The folder of one collection's index files: `<dataDir>/index/<collection id>`. */
export function indexDirOf(dataDir: string, collectionId: string): string {
  return path.join(dataDir, INDEX_ROOT, collectionId);
}

/** Removes the index folders of collections that are no longer in `known` (deleted while closed, or a crash). */
export function removeOrphanIndexes(dataDir: string, knownCollections: () => ReadonlySet<string>): void {
  const root = indexRoot(dataDir);
  if (!fs.existsSync(root)) return;
  // Folders first, then the collections: a folder another process makes meanwhile belongs to a
  // collection already committed (a collection's row is committed before its first save), so it is
  // in the list read after; the other order could delete a folder just made.
  const names = fs.readdirSync(root);
  const known = knownCollections();
  for (const name of names) {
    if (known.has(name)) continue;
    try {
      fs.rmSync(indexDirOf(dataDir, name), { recursive: true, force: true });
    } catch (err) {
      // Another process, not yet aware the collection is gone, saved into it meanwhile: next open.
      if ((err as NodeJS.ErrnoException).code !== "ENOTEMPTY") throw err;
    }
  }
}

/** A collection's HNSW settings as the index takes them (Chroma's names on the left). */
export function hnswParams(
  h: { space: Space; max_neighbors: number; ef_construction: number; ef_search: number; resize_factor: number },
  dimension: number,
): HnswParams {
  return {
    space: h.space,
    dimension,
    maxNeighbors: h.max_neighbors,
    efConstruction: h.ef_construction,
    efSearch: h.ef_search,
    resizeFactor: h.resize_factor,
  };
}

const MIN_CAPACITY = 1024;
/** Insert threads: every core (the main thread mostly waits on SQLite and the network meanwhile). */
const INSERT_THREADS = Number(process.env.CHROMALITE_INSERT_THREADS) || Math.max(1, os.availableParallelism());
/** Overrides every index's insert nice level (see HnswParams.insertNice), for measurements. */
const INSERT_NICE = process.env.CHROMALITE_INSERT_NICE === undefined ? undefined : Number(process.env.CHROMALITE_INSERT_NICE);
/**
 * The search width is at least this many times k (up to MIN_EF_CAP): at k = 10 that is 160, which
 * brings recall@10 to 0.99 and above on the benchmark's data sets, where ef_search 100 alone stopped
 * at 0.989. Larger k reach high recall with a width of k itself.
 */
export const MIN_EF_PER_RESULT = 16;
const MIN_EF_CAP = 400;

/** The search width hnswlib uses for k results: max(ef_search, k, min(16 k, 400)). */
export function effectiveEf(efSearch: number, k: number): number {
  return Math.max(efSearch, k, Math.min(k * MIN_EF_PER_RESULT, MIN_EF_CAP));
}

export class HnswIndex {
  readonly params: HnswParams;
  readonly #index: NativeVectorIndex;
  readonly #live = new Set<number>();
  /** Labels present in the graph but marked deleted (hnswlib keeps their slots). */
  readonly #deleted = new Set<number>();
  #saving = false;
  #adding = false;
  #compacting = false;
  #generation = 0;
  #ef = -1;

  private constructor(params: HnswParams, index: NativeVectorIndex) {
    this.params = { ...params };
    this.#index = index;
  }

  static create(params: HnswParams, capacity = MIN_CAPACITY): HnswIndex {
    const index = new native.VectorIndex(params.space, params.dimension);
    index.init(Math.max(MIN_CAPACITY, capacity), params.maxNeighbors, params.efConstruction, 100);
    return new HnswIndex(params, index);
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** Graph elements that answer nothing (deleted records, and the old vectors of rewritten ones); {@link compact} reclaims them. */
  get deadCount(): number {
    return this.#index.size - this.#live.size;
  }

  get generation(): number {
    return this.#generation;
  }

  /** True while an insert batch, a save or a compaction runs in the background. */
  get busy(): boolean {
    return this.#adding || this.#saving || this.#compacting;
  }

  get compacting(): boolean {
    return this.#compacting;
  }

  /** Whether a batch of `count` vectors goes in without a resize (which must wait for a compaction). */
  fits(count: number): boolean {
    return this.#index.size + count <= this.#index.capacity;
  }

  has(label: number): boolean {
    return this.#live.has(label);
  }

  #assertMutable(): void {
    if (this.#saving) throw new InternalError("the vector index was changed while it was being saved");
  }

  /**
   * Inserts or replaces vectors (row i of `vectors` is `labels[i]`) on background threads; searches
   * may run meanwhile. `normalized`: the vectors are already unit length (cosine). One batch at a
   * time; a label removed while its batch is in flight may come back, so the caller removes it again
   * once the batch is done. Each vector takes a new graph element (a replaced one is retired). During
   * a compaction only a batch that {@link fits} may be added.
   */
  async add(labels: Float64Array, vectors: Float32Array, normalized = false): Promise<void> {
    this.#assertMutable();
    if (this.#adding) throw new InternalError("a vector insert batch is already in flight");
    if (this.#compacting && !this.fits(labels.length)) throw new InternalError("the vector index must grow while it is compacted");
    if (this.#live.size === 0 && this.#index.size > 0 && !this.#compacting) this.#restartEmpty();
    this.#ensureCapacity(labels);
    this.#adding = true;
    try {
      await this.#index.add(labels, vectors, INSERT_THREADS, normalized, INSERT_NICE ?? this.params.insertNice ?? 0);
    } finally {
      this.#adding = false;
    }
    for (const label of labels) {
      this.#deleted.delete(label);
      this.#live.add(label);
    }
  }

  /**
   * Replaces a graph whose every element is dead by an empty one of the same capacity. hnswlib links a
   * new point to live points alone (and the entry point), so points added among dead ones stay linked
   * to each other, until later points prune them out of every list (measured: 1 in 7 such graphs
   * lost 10 to 20 of the first points added). Not during a compaction, which reads the old graph.
   */
  #restartEmpty(): void {
    this.#index.init(this.#index.capacity, this.params.maxNeighbors, this.params.efConstruction, 100);
    this.#deleted.clear();
    this.#ef = -1;
  }

  #ensureCapacity(labels: Float64Array): void {
    const needed = this.#index.size + labels.length;
    const capacity = this.#index.capacity;
    if (needed <= capacity) return;
    // Doubling keeps resizes rare: each one reallocates the graph on the main thread.
    this.#index.resize(Math.max(needed, Math.ceil(capacity * Math.max(this.params.resizeFactor, 2))));
  }

  /** Marks a label deleted; false when the graph does not hold it (yet). */
  remove(label: number): boolean {
    this.#assertMutable();
    const removed = this.#index.markDeleted(label);
    if (removed || this.#live.has(label)) {
      this.#live.delete(label);
      this.#deleted.add(label);
    }
    return removed;
  }

  setEfSearch(ef: number): void {
    this.params.efSearch = ef;
  }

  /**
   * Builds, on background threads, a graph of the live vectors alone (dead elements left out), which
   * {@link adoptCompacted} then switches to. Searches, inserts that {@link fits} and removals go on
   * in the old graph meanwhile; the caller re-applies the changes made meanwhile after adopting.
   * Rejects when {@link cancelCompaction} stopped it. Not while a batch or a save is in flight.
   */
  async compact(): Promise<void> {
    this.#assertMutable();
    if (this.#adding || this.#compacting) throw new InternalError("the vector index was compacted while busy");
    this.#compacting = true;
    try {
      const capacity = Math.max(MIN_CAPACITY, 2 * this.#live.size);
      await this.#index.compact(capacity, INSERT_THREADS, INSERT_NICE ?? this.params.insertNice ?? 0);
    } finally {
      this.#compacting = false;
    }
  }

  cancelCompaction(): void {
    this.#index.cancelCompaction();
  }

  /**
   * Switches to the graph the last compaction built (false when there is none), with no batch or
   * save in flight. Labels inserted or removed after the compaction began are not what they were in
   * the new graph: the caller re-applies those changes.
   */
  adoptCompacted(): boolean {
    if (this.#adding || this.#saving || this.#compacting) throw new InternalError("a compacted index was adopted while busy");
    if (!this.#index.adoptCompacted()) return false;
    const labels = this.#index.labels();
    this.#live.clear();
    this.#deleted.clear();
    for (const label of labels.live) this.#live.add(label);
    for (const label of labels.deleted) this.#deleted.add(label);
    return true;
  }

  /**
   * The vector hnswlib holds for a live label (unit length in the cosine space, which hnswlib
   * normalises), or undefined. For `chromalite verify`, which compares it with SQLite's.
   */
  storedVector(label: number): Float32Array | undefined {
    return this.#live.has(label) ? this.#index.vector(label) : undefined;
  }

  /** Approximate k nearest, within `allowed` (sorted labels) when given. */
  search(query: Float32Array, k: number, allowed?: Float64Array): NativeHits {
    const n = Math.min(k, this.#live.size);
    if (n <= 0) return { labels: new Float64Array(0), distances: new Float32Array(0) };
    const ef = effectiveEf(this.params.efSearch, k);
    if (ef !== this.#ef) {
      this.#index.setEf(ef);
      this.#ef = ef;
    }
    return this.#index.search(query, n, allowed ?? null);
  }

  /** Exact k nearest among `labels` (those live in the graph; others are skipped). */
  distances(query: Float32Array, labels: Float64Array, k: number): NativeHits {
    return this.#index.distances(query, labels, k);
  }

  /**
   * Persists a new generation in `dir` and switches the manifest to it, then removes the previous
   * generation. The index must not change until the returned promise settles. Several processes may
   * hold the same index: one saves at a time (a lease: a lock on the folder; `busy` while another has it),
   * and a save never replaces a manifest newer than its `seq` (`newer`): the write log is
   * trimmed up to a saved seq, so the files must never go back before it.
   */
  async save(dir: string, seq: number): Promise<{ manifest: IndexManifest } | { skipped: "busy" | "newer" }> {
    this.#saving = true;
    let release: (() => void) | undefined;
    try {
      await fsp.mkdir(dir, { recursive: true });
      release = tryLockPath(dir);
      if (!release) return { skipped: "busy" };
      const current = await HnswIndex.readManifest(dir).catch(() => undefined);
      if (current && current.seq > seq) return { skipped: "newer" };
      const generation = Math.max(this.#generation, current?.generation ?? 0) + 1;
      const graphName = `hnsw-${generation}.bin`;
      const deletedName = `deleted-${generation}.bin`;
      const graphPath = path.join(dir, graphName);
      const tmpGraph = `${graphPath}.tmp`;
      if (this.#adding) throw new InternalError("the vector index was saved while a batch was in flight");
      // hnswlib writes on the libuv thread pool; the main thread stays free.
      await this.#index.save(tmpGraph);
      await fsyncPath(tmpGraph);
      await fsp.rename(tmpGraph, graphPath);
      const deleted = new Float64Array([...this.#deleted]);
      await writeFileAtomic(path.join(dir, deletedName), new Uint8Array(deleted.buffer));
      const graph = await crc32File(graphPath);
      const deletedInfo = await crc32File(path.join(dir, deletedName));
      const manifest: IndexManifest = {
        format: 1,
        generation,
        seq,
        space: this.params.space,
        dimension: this.params.dimension,
        maxNeighbors: this.params.maxNeighbors,
        efConstruction: this.params.efConstruction,
        liveCount: this.#live.size,
        graph: { name: graphName, ...graph },
        deleted: { name: deletedName, ...deletedInfo },
      };
      await writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
      this.#generation = generation;
      await removeStaleFiles(dir, manifest);
      return { manifest };
    } finally {
      release?.();
      this.#saving = false;
    }
  }

  /** Reads the manifest of `dir`, or undefined when there is none. */
  static async readManifest(dir: string): Promise<IndexManifest | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(dir, MANIFEST_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const m = JSON.parse(text) as IndexManifest;
      if (m.format !== 1 || typeof m.seq !== "number") throw new Error("unknown manifest format");
      return m;
    } catch (err) {
      throw new CorruptionError(`index manifest in ${dir} is unreadable`, { cause: err });
    }
  }

  /**
   * Loads the generation named by the manifest, verifying sizes, checksums and counts. Throws
   * {@link CorruptionError} when anything disagrees, so the caller can rebuild.
   */
  static async load(dir: string, manifest: IndexManifest, params: HnswParams): Promise<HnswIndex> {
    // max_neighbors may differ: `modify` can change it (as in Chroma), and a graph keeps the value it
    // was built with (hnswlib reads it from the file) until it is rebuilt.
    if (manifest.dimension !== params.dimension || manifest.space !== params.space) {
      throw new CorruptionError(`index in ${dir} was built with other parameters than the collection's`);
    }
    for (const entry of [manifest.graph, manifest.deleted]) {
      const file = path.join(dir, entry.name);
      let actual: { crc32: number; size: number };
      try {
        actual = await crc32File(file);
      } catch (err) {
        throw new CorruptionError(`index file ${file} is missing`, { cause: err });
      }
      if (actual.size !== entry.size || actual.crc32 !== entry.crc32) {
        throw new CorruptionError(
          `index file ${file} is damaged (size ${actual.size}, expected ${entry.size}; crc ${actual.crc32}, expected ${entry.crc32})`,
        );
      }
    }
    const index = new native.VectorIndex(params.space, params.dimension);
    try {
      await index.load(path.join(dir, manifest.graph.name), 0);
    } catch (err) {
      throw new CorruptionError(`index file ${manifest.graph.name} cannot be read`, { cause: err });
    }
    const loaded = new HnswIndex({ ...params, maxNeighbors: manifest.maxNeighbors }, index);
    loaded.#generation = manifest.generation;
    const deletedBytes = await fsp.readFile(path.join(dir, manifest.deleted.name));
    const deleted = new Float64Array(deletedBytes.buffer, deletedBytes.byteOffset, deletedBytes.byteLength / 8);
    for (const label of deleted) loaded.#deleted.add(label);
    const labels = index.labels();
    for (const label of labels.live) {
      if (!loaded.#deleted.has(label)) loaded.#live.add(label);
    }
    for (const label of labels.deleted) loaded.#deleted.add(label);
    if (loaded.#live.size !== manifest.liveCount) {
      throw new CorruptionError(
        `index in ${dir} holds ${loaded.#live.size} live vectors, its manifest says ${manifest.liveCount}`,
      );
    }
    return loaded;
  }
}

async function removeStaleFiles(dir: string, keep: IndexManifest): Promise<void> {
  const names = await fsp.readdir(dir);
  // The indexer's lease stays: removing a lock file another process may have open breaks the lock.
  const wanted = new Set([MANIFEST_FILE, LEASE_FILE, keep.graph.name, keep.deleted.name]);
  for (const name of names) {
    if (!wanted.has(name)) await fsp.rm(path.join(dir, name), { force: true });
  }
}

/** Removes a collection's index folder (after the collection itself is gone). */
export function removeIndexDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
