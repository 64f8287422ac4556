/**
 * The ANN index: hnswlib (Chroma's own HNSW implementation) through hnswlib-node. It is derived data:
 * persisted as a generation of files plus a manifest, verified (size + CRC-32) on load, and rebuilt
 * from SQLite by the engine whenever it is missing, torn or disagrees with the store.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import type * as HnswlibModule from "hnswlib-node";
import { CorruptionError, InternalError } from "../errors.js";
import type { Space } from "../types.js";
import { crc32File, fsyncPath, writeFileAtomic } from "../util/fs.js";

// hnswlib-node is a CommonJS addon whose exports ESM cannot detect statically.
const hnswlib = createRequire(import.meta.url)("hnswlib-node") as typeof HnswlibModule;
type NativeHnsw = HnswlibModule.HierarchicalNSW;

export interface HnswParams {
  space: Space;
  dimension: number;
  maxNeighbors: number;
  efConstruction: number;
  efSearch: number;
  resizeFactor: number;
}

export interface SearchHit {
  labels: number[];
  distances: number[];
}

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

/** hnswlib-node takes plain arrays; a counted loop is several times faster than Array.from's iterator. */
function toNumbers(v: Float32Array): number[] {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]!;
  return out;
}

const MIN_CAPACITY = 1024;

/** A vector index over integer labels (record rowids). */
export interface VectorIndex {
  readonly params: Readonly<HnswParams>;
  readonly liveCount: number;
  has(label: number): boolean;
  upsert(label: number, vector: Float32Array): void;
  remove(label: number): void;
  search(query: Float32Array, k: number, filter?: (label: number) => boolean): SearchHit;
  setEfSearch(ef: number): void;
}

export class HnswIndex implements VectorIndex {
  readonly params: HnswParams;
  readonly #index: NativeHnsw;
  readonly #live = new Set<number>();
  /** Labels present in the graph but marked deleted (hnswlib keeps their slots). */
  readonly #deleted = new Set<number>();
  #saving = false;
  #generation = 0;

  private constructor(params: HnswParams, index: NativeHnsw) {
    this.params = { ...params };
    this.#index = index;
  }

  static create(params: HnswParams, capacity = MIN_CAPACITY): HnswIndex {
    const index = new hnswlib.HierarchicalNSW(params.space, params.dimension);
    index.initIndex({
      maxElements: Math.max(MIN_CAPACITY, capacity),
      m: params.maxNeighbors,
      efConstruction: params.efConstruction,
      randomSeed: 100,
      allowReplaceDeleted: false,
    });
    index.setEf(params.efSearch);
    return new HnswIndex(params, index);
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** Slots used by deleted labels; a rebuild reclaims them. */
  get deletedCount(): number {
    return this.#deleted.size;
  }

  get generation(): number {
    return this.#generation;
  }

  has(label: number): boolean {
    return this.#live.has(label);
  }

  #assertMutable(): void {
    if (this.#saving) throw new InternalError("the vector index was changed while it was being saved");
  }

  upsert(label: number, vector: Float32Array): void {
    this.#assertMutable();
    const isNew = !this.#live.has(label) && !this.#deleted.has(label);
    if (isNew) {
      const needed = this.#index.getCurrentCount() + 1;
      const capacity = this.#index.getMaxElements();
      if (needed > capacity) {
        const grown = Math.max(needed, Math.ceil(capacity * Math.max(this.params.resizeFactor, 1.5)));
        this.#index.resizeIndex(grown);
      }
    }
    // hnswlib updates a label in place, and un-deletes it if it was marked deleted.
    this.#index.addPoint(toNumbers(vector), label);
    this.#deleted.delete(label);
    this.#live.add(label);
  }

  remove(label: number): void {
    if (!this.#live.has(label)) return;
    this.#assertMutable();
    this.#index.markDelete(label);
    this.#live.delete(label);
    this.#deleted.add(label);
  }

  setEfSearch(ef: number): void {
    this.params.efSearch = ef;
    this.#index.setEf(ef);
  }

  /**
   * The vector hnswlib holds for a live label (unit length in the cosine space, which hnswlib
   * normalises), or undefined. For `chromalite verify`, which compares it with SQLite's.
   */
  storedVector(label: number): number[] | undefined {
    return this.#live.has(label) ? this.#index.getPoint(label) : undefined;
  }

  search(query: Float32Array, k: number, filter?: (label: number) => boolean): SearchHit {
    const n = Math.min(k, this.#live.size);
    if (n <= 0) return { labels: [], distances: [] };
    const result = this.#index.searchKnn(toNumbers(query), n, filter);
    return { labels: result.neighbors, distances: result.distances };
  }

  /**
   * Persists a new generation in `dir` and switches the manifest to it, then removes the previous
   * generation. The index must not change until the returned promise settles.
   */
  async save(dir: string, seq: number): Promise<IndexManifest> {
    this.#saving = true;
    try {
      await fsp.mkdir(dir, { recursive: true });
      const generation = this.#generation + 1;
      const graphName = `hnsw-${generation}.bin`;
      const deletedName = `deleted-${generation}.bin`;
      const graphPath = path.join(dir, graphName);
      const tmpGraph = `${graphPath}.tmp`;
      // hnswlib writes on the libuv thread pool; the main thread stays free.
      await this.#index.writeIndex(tmpGraph);
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
      return manifest;
    } finally {
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
    if (
      manifest.dimension !== params.dimension ||
      manifest.space !== params.space ||
      manifest.maxNeighbors !== params.maxNeighbors
    ) {
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
    const index = new hnswlib.HierarchicalNSW(params.space, params.dimension);
    try {
      await index.readIndex(path.join(dir, manifest.graph.name), false);
    } catch (err) {
      throw new CorruptionError(`index file ${manifest.graph.name} cannot be read`, { cause: err });
    }
    index.setEf(params.efSearch);
    const loaded = new HnswIndex(params, index);
    loaded.#generation = manifest.generation;
    const deletedBytes = await fsp.readFile(path.join(dir, manifest.deleted.name));
    const deleted = new Float64Array(deletedBytes.buffer, deletedBytes.byteOffset, deletedBytes.byteLength / 8);
    for (const label of deleted) loaded.#deleted.add(label);
    for (const label of index.getIdsList()) {
      if (!loaded.#deleted.has(label)) loaded.#live.add(label);
    }
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
  const wanted = new Set([MANIFEST_FILE, keep.graph.name, keep.deleted.name]);
  for (const name of names) {
    if (!wanted.has(name)) await fsp.rm(path.join(dir, name), { force: true });
  }
}

/** Removes a collection's index folder (after the collection itself is gone). */
export function removeIndexDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
