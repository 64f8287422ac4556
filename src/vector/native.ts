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
  /**
   * Inserts (or replaces) vectors on `threads` background threads of their own, at scheduling
   * priority `nice` (0: the process's own); searches may run meanwhile.
   */
  add(labels: Float64Array, vectors: Float32Array, threads: number, normalized: boolean, nice?: number): Promise<void>;
  markDeleted(label: number): boolean;
  /** Builds a graph of the live elements on background threads, for adoptCompacted. */
  compact(capacity: number, threads: number, nice: number): Promise<void>;
  cancelCompaction(): void;
  /** Switches to the graph the last compaction built; false when there is none. */
  adoptCompacted(): boolean;
  search(query: Float32Array, k: number, allowed: Float64Array | null): NativeHits;
  /** The exact k nearest of `labels` that are live in the graph. */
  distances(query: Float32Array, labels: Float64Array, k: number): NativeHits;
  vector(label: number): Float32Array | undefined;
  labels(): { live: Float64Array; deleted: Float64Array };
  readonly capacity: number;
  readonly size: number;
  readonly busy: boolean;
  /** How many searches ran beside inserts of new points instead of alone (see TurnGate). */
  readonly searchesBesideInserts: number;
}

type Build = "portable" | "avx2" | "avx512";

interface Binding {
  /** The build's instruction set, and whether this CPU has AVX2 and AVX-512F. */
  cpu(): { build: Build; avx2: boolean; avx512?: boolean };
  VectorIndex: new (space: Space, dimension: number) => NativeVectorIndex;
  scanFlat(space: Space, query: Float32Array, vectors: Float32Array, labels: Float64Array, k: number, allowed: Float64Array | null): NativeHits;
  normalize(vector: Float32Array): void;
}

/** The package root: two levels above this file in both src/vector and dist/vector. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The widest builds first; a build loads only when the CPU and the OS support its instructions. */
const WIDER: readonly { build: Build; file: string; supported: (cpu: ReturnType<Binding["cpu"]>) => boolean }[] = [
  { build: "avx512", file: "chromalite_vector_avx512", supported: (cpu) => cpu.avx512 === true },
  { build: "avx2", file: "chromalite_vector_avx2", supported: (cpu) => cpu.avx2 },
];

/**
 * The portable build always loads; on x64 the widest build the CPU supports replaces it.
 * CHROMALITE_NATIVE (portable, avx2 or avx512) caps the choice, for comparisons and odd machines.
 */
function loadBinding(): Binding {
  const require = createRequire(import.meta.url);
  const find = (name: string) =>
    ["Release", "Debug"].map((mode) => path.join(root, "build", mode, `${name}.node`)).find((f) => fs.existsSync(f));
  const portable = find("chromalite_vector");
  if (!portable) {
    throw new Error(
      `chromalite's native vector index is not built (no build/Release/chromalite_vector.node under ${root}): run \`npm rebuild chromalite\` (needs python3, make and a C++ compiler)`,
    );
  }
  const binding = require(portable) as Binding;
  const cpu = binding.cpu();
  const cap = process.env.CHROMALITE_NATIVE;
  const allowed = WIDER.slice(Math.max(0, WIDER.findIndex((w) => w.build === cap)));
  if (cap === "portable") return binding;
  for (const wider of allowed) {
    const file = find(wider.file);
    if (file && wider.supported(cpu)) return require(file) as Binding;
  }
  return binding;
}

export const native: Binding = loadBinding();
