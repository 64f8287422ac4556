/**
 * Data for the "user's day" and "server under load" benchmarks: the seeded Gaussian mixture of
 * lib/data.ts at any dimension (L2-normalised; at 384 and the same N it is the same data as the main
 * benchmark's synthetic set), written once to bench/.cache/data/ as raw float32.
 *
 * Ground truth is needed against *the rows acknowledged so far*, whatever that prefix is when a query
 * is issued. For every query we keep its "entrants": the rows that entered its exact top-k while the
 * rows were scanned in ingest order (about k·ln(N/k) of them). The exact top-k over any prefix of
 * rows is the k nearest entrants inside that prefix (a row in the top-k of a prefix was in the top-k
 * of every shorter prefix holding it), so one scan per query serves every prefix.
 */
import fs from "node:fs";
import path from "node:path";
import { clustered, documentFor, metadataFor } from "./data.js";
import type { Meta, Space } from "./datasets.js";

export const K = 10;
/** Within-cluster spread: the main benchmark's (lib/datasets.ts SYNTHETIC_SPREAD). */
const SPREAD = 0.2;
const FORMAT = 1;

export interface DayDataMeta {
  n: number;
  dim: number;
  nQueries: number;
  space: Space;
  title: string;
}

export interface DayData {
  meta: DayDataMeta;
  /** n * dim, row-major. */
  vectors: Float32Array;
  queries: Float32Array;
  categories: Uint8Array;
  /** Per query: entrant rows (ascending) and their exact distances. */
  entrants: { rows: number[]; dist: number[] }[];
}

export const rowOf = (id: string): number => (id.startsWith("id") ? Number(id.slice(2)) : -1);

function distance(space: Space, a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let d = 0;
  if (space === "l2") {
    for (let j = 0; j < dim; j++) {
      const x = a[ai + j]! - b[bi + j]!;
      d += x * x;
    }
    return d;
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < dim; j++) {
    dot += a[ai + j]! * b[bi + j]!;
    na += a[ai + j]! ** 2;
    nb += b[bi + j]! ** 2;
  }
  return 1 - dot / (Math.sqrt(na * nb) || 1);
}

function entrantsOf(meta: DayDataMeta, vectors: Float32Array, queries: Float32Array, qi: number): { rows: number[]; dist: number[] } {
  const { n, dim, space } = meta;
  const top: number[] = []; // distances of the current top-k, ascending
  const rows: number[] = [];
  const dist: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = distance(space, vectors, i * dim, queries, qi * dim, dim);
    if (top.length === K && d >= top[K - 1]!) continue;
    let p = top.length < K ? top.length : K - 1;
    if (top.length < K) top.push(d);
    while (p > 0 && top[p - 1]! > d) {
      top[p] = top[p - 1]!;
      p--;
    }
    top[p] = d;
    rows.push(i);
    dist.push(d);
  }
  return { rows, dist };
}

export function dayDataKey(n: number, dim: number, space: Space, nQueries: number): string {
  return `day-${n}x${dim}-${space}-q${nQueries}-seed42-v${FORMAT}`;
}

/** Writes the data set under `cacheDir` unless it is there; returns its folder. */
export function prepareDayData(cacheDir: string, n: number, dim: number, space: Space, nQueries: number, log: (s: string) => void): string {
  const dir = path.join(cacheDir, dayDataKey(n, dim, space, nQueries));
  if (fs.existsSync(path.join(dir, "done"))) return dir;
  const t0 = performance.now();
  const w = clustered(n, dim, nQueries, 42, 100, SPREAD);
  const meta: DayDataMeta = {
    n,
    dim,
    nQueries,
    space,
    title: `synthetic ${n.toLocaleString("en")} × ${dim}, ${space} (Gaussian mixture, 100 clusters, spread ${SPREAD}, L2-normalised, seed 42)`,
  };
  const vectors = new Float32Array(n * dim);
  w.vectors.forEach((v, i) => vectors.set(v, i * dim));
  const queries = new Float32Array(nQueries * dim);
  w.queries.forEach((v, i) => queries.set(v, i * dim));
  log(`computing prefix ground truth for ${meta.title} ...`);
  const entrants = Array.from({ length: nQueries }, (_, qi) => entrantsOf(meta, vectors, queries, qi));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify(meta, null, 1));
  fs.writeFileSync(path.join(dir, "vectors.f32"), vectors);
  fs.writeFileSync(path.join(dir, "queries.f32"), queries);
  fs.writeFileSync(path.join(dir, "categories.u8"), Uint8Array.from(w.categories));
  fs.writeFileSync(path.join(dir, "entrants.json"), JSON.stringify(entrants));
  fs.writeFileSync(path.join(dir, "done"), "");
  log(`data ${path.basename(dir)} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

function readF32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

export function readDayMeta(dir: string): DayDataMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as DayDataMeta;
}

export function loadDayData(dir: string, withTruth = true): DayData {
  const cat = fs.readFileSync(path.join(dir, "categories.u8"));
  return {
    meta: readDayMeta(dir),
    vectors: readF32(path.join(dir, "vectors.f32")),
    queries: readF32(path.join(dir, "queries.f32")),
    categories: new Uint8Array(cat.buffer, cat.byteOffset, cat.byteLength),
    entrants: withTruth ? (JSON.parse(fs.readFileSync(path.join(dir, "entrants.json"), "utf8")) as DayData["entrants"]) : [],
  };
}

export function queryVector(d: DayData, qi: number): number[] {
  const { dim } = d.meta;
  return Array.from(d.queries.subarray(qi * dim, (qi + 1) * dim));
}

export interface Records {
  ids: string[];
  embeddings: number[][];
  documents: string[];
  metadatas: Meta[];
}

/**
 * Rows [from, to) as an application has them. `idOf` renames them (the load benchmark adds the same
 * vectors again under new ids); the default id `id<row>` lets results be mapped back to rows.
 */
export function records(d: DayData, from: number, to: number, idOf: (row: number) => string = (r) => `id${r}`): Records {
  const { dim, n } = d.meta;
  const out: Records = { ids: [], embeddings: [], documents: [], metadatas: [] };
  for (let i = from; i < to; i++) {
    const r = i % n;
    out.ids.push(idOf(i));
    out.embeddings.push(Array.from(d.vectors.subarray(r * dim, (r + 1) * dim)));
    out.documents.push(documentFor(i));
    out.metadatas.push(metadataFor(i, d.categories[r]!));
  }
  return out;
}

/**
 * recall@k of one answer against the exact top-k over the rows acknowledged when the query was
 * issued (`acked`), plus any later rows the answer holds (they were visible to it, so they count as
 * candidates too). undefined when no row was visible.
 */
export function recallAt(d: DayData, qi: number, acked: number, got: readonly number[]): number | undefined {
  const e = d.entrants[qi]!;
  const cand: [number, number][] = [];
  for (let j = 0; j < e.rows.length && e.rows[j]! < acked; j++) cand.push([e.rows[j]!, e.dist[j]!]);
  const { dim, space, n } = d.meta;
  for (const r of got) {
    if (r >= acked && r < n && !cand.some(([c]) => c === r)) cand.push([r, distance(space, d.vectors, r * dim, d.queries, qi * dim, dim)]);
  }
  if (cand.length === 0) return undefined;
  cand.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const truth = new Set(cand.slice(0, K).map(([r]) => r));
  let hits = 0;
  for (const r of got) if (truth.has(r)) hits++;
  return hits / truth.size;
}
