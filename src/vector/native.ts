/**
 * chromalite's native binding of hnswlib (native/vector_index.cc, built by node-gyp on install).
 * Vectors cross as Float32Array, labels (record rowids) as Float64Array.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Space } from "../types.js";

/** Search results, nearest first. */
export interface NativeHits {
  labels: Float64Array;
  distances: Float32Array;
}

export interface NativeVectorIndex {
  init(capacity: number, m: number, efConstruction: number, seed: number): void;
  /** Reads a graph file on a background thread. */
  load(file: string, capacity: number): Promise<void>;
  /** Writes the graph file on a background thread; no insert may be in flight. */
  save(file: string): Promise<void>;
  resize(capacity: number): void;
  setEf(ef: number): void;
  /** Inserts (or replaces) vectors on `threads` background threads; searches may run meanwhile. */
  add(labels: Float64Array, vectors: Float32Array, threads: number, normalized: boolean): Promise<void>;
  markDeleted(label: number): boolean;
  search(query: Float32Array, k: number, allowed: Float64Array | null): NativeHits;
  /** The exact k nearest of `labels` that are live in the graph. */
  distances(query: Float32Array, labels: Float64Array, k: number): NativeHits;
  vector(label: number): Float32Array | undefined;
  labels(): { live: Float64Array; deleted: Float64Array };
  readonly capacity: number;
  readonly size: number;
  readonly busy: boolean;
}

interface Binding {
  VectorIndex: new (space: Space, dimension: number) => NativeVectorIndex;
  scanFlat(space: Space, query: Float32Array, vectors: Float32Array, labels: Float64Array, k: number, allowed: Float64Array | null): NativeHits;
  normalize(vector: Float32Array): void;
}

/** The package root: two levels above this file in both src/vector and dist/vector. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function loadBinding(): Binding {
  const candidates = ["Release", "Debug"].map((mode) => path.join(root, "build", mode, "chromalite_vector.node"));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw new Error(
      `chromalite's native vector index is not built (looked for ${candidates.join(", ")}): run \`npm rebuild chromalite\` (needs python3, make and a C++ compiler)`,
    );
  }
  return createRequire(import.meta.url)(file) as Binding;
}

export const native: Binding = loadBinding();
