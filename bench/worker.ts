/**
 * One system, one dataset, one phase, in a process of its own (forked by run.ts), so peak RSS and
 * event-loop delay belong to that system alone.
 *
 * - build: create, ingest in batches of 1,000, wait until indexed, queries (unfiltered, 10%, 1%
 *   filters), the ef sweep, gets, close; the data folder is left for the open phase.
 * - open: open what build left, answer the first query, check recall, close.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { rng } from "../test/helpers/rng.js";
import { FILTER_1, FILTER_10, loadDataset, row, type Dataset, type FilterSpec } from "./lib/datasets.js";
import { currentRss, diskUsage, peakRss, resetPeakRss } from "./lib/proc.js";
import { latency, type Latency } from "./lib/stats.js";
import { loadSystem } from "./systems/index.js";
import { EF_SWEEP, type Batch, type Handle, type SystemDef } from "./systems/types.js";

export interface WorkerJob {
  phase: "build" | "open";
  system: string;
  datasetDir: string;
  /** The system's data folder. */
  dir: string;
  peersDir: string;
  sweep: boolean;
  batchSize: number;
}

export interface QueryFigures extends Latency {
  recall: number;
}

export interface SweepPoint extends QueryFigures {
  ef: number | null;
}

export interface BuildResult {
  ingest: {
    /** Σ of add() call durations: the rate at which writes are acknowledged. */
    ackSeconds: number;
    /** From the first add until every vector is in the ANN index. */
    indexedSeconds: number;
    indexLagNote?: string;
    /** Worst event-loop delay of this process from create to fully indexed (in-process systems). */
    loopMaxMs: number;
  };
  query: QueryFigures;
  queryIdsOnly?: Latency;
  f10: QueryFigures;
  f1: QueryFigures;
  sweep: SweepPoint[];
  getById?: Latency;
  getWhere?: Latency & { rows: number };
  closeMs: number;
  /** Peak RSS in bytes: the server process's, or this process's less the harness's copy of the data. */
  peakRssBytes?: number;
  diskBytes: number;
}

export interface OpenResult {
  /** open() until it resolves. */
  openMs: number;
  /** open() until the first query's answer: ready to serve. */
  readyMs: number;
  loopMaxMs: number;
  /** recall@10 of the first queries after reopening (checks that the persisted index is complete). */
  recall: number;
  closeMs: number;
  /**
   * chromalite only: its queries (default fields) and its own persisted graph searched directly with
   * the same width (Handle.sameIndexSearch), and the ids-only query, query by query in turn, every
   * query of the data set twice.
   */
  sameIndex?: { full: Latency; idsOnly?: Latency; raw: Latency };
}

export type WorkerReply = { ok: true; result: BuildResult | OpenResult } | { ok: false; skipped: boolean; error: string };

/**
 * The worst event-loop delay over the periods it is enabled. A histogram that is disabled and enabled
 * again counts the disabled time in its next sample (its last tick is kept), so each period gets a
 * histogram of its own.
 */
class LoopWatch {
  #current: ReturnType<typeof monitorEventLoopDelay> | undefined;
  #maxNs = 0;
  enable(): void {
    this.#current = monitorEventLoopDelay({ resolution: 5 });
    this.#current.enable();
  }
  disable(): void {
    if (!this.#current) return;
    this.#current.disable();
    this.#maxNs = Math.max(this.#maxNs, this.#current.max);
    this.#current = undefined;
  }
  get maxMs(): number {
    return Math.max(this.#maxNs, this.#current?.max ?? 0) / 1e6;
  }
}

const WARMUP = 20;
const GETS_BY_ID = 200;
const GETS_WHERE = 10;

function batchOf(ds: Dataset, from: number, to: number): Batch {
  const b: Batch = { start: from, ids: [], embeddings: [], documents: [], metadatas: [] };
  for (let i = from; i < to; i++) {
    b.ids.push(ds.ids[i]!);
    b.embeddings.push(Array.from(row(ds.vectors, ds.meta.dim, i)));
    b.documents.push(ds.documents[i]!);
    b.metadatas.push(ds.metadatas[i]!);
  }
  return b;
}

async function runQueries(h: Handle, queries: number[][], truth: number[][], k: number, filter?: FilterSpec): Promise<QueryFigures> {
  const times: number[] = [];
  let hits = 0;
  for (let qi = 0; qi < queries.length; qi++) {
    const t = performance.now();
    const got = await h.query(queries[qi]!, k, filter);
    times.push(performance.now() - t);
    const want = new Set(truth[qi]);
    hits += got.filter((r) => want.has(r)).length;
  }
  const expected = truth.reduce((s, t) => s + t.length, 0);
  return { ...latency(times), recall: expected === 0 ? 1 : hits / expected };
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times;
}

async function build(sys: SystemDef, job: WorkerJob): Promise<BuildResult> {
  const before = currentRss() ?? 0;
  const ds = loadDataset(job.datasetDir);
  const { n, dim, k } = ds.meta;
  const queries = Array.from({ length: ds.meta.nQueries }, (_, i) => Array.from(row(ds.queries, dim, i)));
  const warm = Array.from({ length: WARMUP }, (_, i) => Array.from(row(ds.vectors, dim, (i * 7919) % n)));
  const dataBytes = Math.max(0, (currentRss() ?? 0) - before);
  const ctx = { dir: job.dir, ds, peersDir: job.peersDir };
  const loop = new LoopWatch();
  resetPeakRss();

  loop.enable();
  step = "create";
  const h = await sys.create(ctx);
  let closed = false;
  try {
    let ackMs = 0;
    const t0 = performance.now();
    step = "add";
    for (let from = 0; from < n; from += job.batchSize) {
      // Building the batch is the benchmark's own work, not the system's: keep it out of the figure.
      loop.disable();
      const batch = batchOf(ds, from, Math.min(n, from + job.batchSize));
      loop.enable();
      const t = performance.now();
      await h.add(batch);
      ackMs += performance.now() - t;
      // Let the loop turn between batches, as a server or an app would; the delay histogram then
      // shows how long each call held the loop.
      await yieldToLoop();
    }
    step = "waitIndexed";
    await h.waitIndexed();
    const indexedMs = performance.now() - t0;
    loop.disable();
    const loopMaxMs = loop.maxMs;

    step = "queries";
    for (const q of warm) await h.query(q, k);
    for (const q of warm.slice(0, 5)) await h.query(q, k, FILTER_10);
    for (const q of warm.slice(0, 5)) await h.query(q, k, FILTER_1);
    const query = await runQueries(h, queries, ds.truth.all, k);
    const f10 = await runQueries(h, queries, ds.truth.f10, k, FILTER_10);
    const f1 = await runQueries(h, queries, ds.truth.f1, k, FILTER_1);
    let queryIdsOnly: Latency | undefined;
    if (h.queryIdsOnly) {
      const idsOnly = h.queryIdsOnly.bind(h);
      queryIdsOnly = latency(await timed(queries.length, (i) => idsOnly(queries[i]!, k)));
    }

    step = "ef sweep";
    const sweep: SweepPoint[] = [];
    if (job.sweep && h.setEf) {
      for (const ef of EF_SWEEP) {
        await h.setEf(ef);
        for (const q of warm.slice(0, 5)) await h.query(q, k);
        sweep.push({ ef, ...(await runQueries(h, queries, ds.truth.all, k)) });
      }
      await h.setEf(100);
    } else {
      sweep.push({ ef: h.setEf ? 100 : null, ...query });
    }

    step = "gets";
    const next = rng(7);
    let getById: Latency | undefined;
    if (h.getById) {
      const get = h.getById.bind(h);
      const ids = Array.from({ length: GETS_BY_ID }, () => ds.ids[Math.floor(next() * n)]!);
      for (const id of ids.slice(0, 10)) await get(id);
      getById = latency(await timed(ids.length, (i) => get(ids[i]!)));
    }
    let getWhere: (Latency & { rows: number }) | undefined;
    if (h.getWhere) {
      const get = h.getWhere.bind(h);
      await get(FILTER_1);
      let rows = 0;
      const times = await timed(GETS_WHERE, async (i) => (rows += await get({ key: "bucket100", value: (FILTER_1.value + i) % 100 })));
      getWhere = { ...latency(times), rows: rows / GETS_WHERE };
    }

    step = "close";
    const tc = performance.now();
    closed = true;
    await h.close();
    const closeMs = performance.now() - tc;
    const self = peakRss();
    const peak = h.serverPeakRss ? h.serverPeakRss() : self === undefined ? undefined : self - dataBytes;
    return {
      ingest: { ackSeconds: ackMs / 1000, indexedSeconds: indexedMs / 1000, indexLagNote: h.indexLagNote, loopMaxMs },
      query,
      queryIdsOnly,
      f10,
      f1,
      sweep,
      getById,
      getWhere,
      closeMs,
      peakRssBytes: peak,
      diskBytes: diskUsage(job.dir),
    };
  } finally {
    if (!closed) await h.close().catch(() => undefined);
  }
}

/** chromalite's query against a direct search of its own graph, alternating query by query. */
async function timeSameIndex(h: Handle, raw: ((q: number[], k: number) => void) | undefined, ds: Dataset): Promise<OpenResult["sameIndex"]> {
  if (!raw) return undefined;
  const { dim, k, nQueries } = ds.meta;
  const queries = Array.from({ length: nQueries }, (_, i) => Array.from(row(ds.queries, dim, i)));
  for (const q of queries.slice(0, 20)) {
    await h.query(q, k);
    raw(q, k);
  }
  // Each chromalite call is paired with a direct search of the same query on the second copy, never
  // with another chromalite call of the same query: that one would find the graph's nodes in the CPU
  // cache (an ids-only query right after the full one took half the time).
  const full: number[] = [];
  const idsOnly: number[] = [];
  const direct: number[] = [];
  const pair = async (call: (q: number[]) => Promise<unknown>, into: number[], q: number[]) => {
    let t = performance.now();
    await call(q);
    into.push(performance.now() - t);
    t = performance.now();
    raw(q, k);
    direct.push(performance.now() - t);
  };
  for (let round = 0; round < 2; round++) {
    for (const q of queries) await pair((x) => h.query(x, k), full, q);
    if (h.queryIdsOnly) for (const q of queries) await pair((x) => h.queryIdsOnly!(x, k), idsOnly, q);
  }
  return { full: latency(full), idsOnly: idsOnly.length > 0 ? latency(idsOnly) : undefined, raw: latency(direct) };
}

async function open(sys: SystemDef, job: WorkerJob): Promise<OpenResult> {
  const ds = loadDataset(job.datasetDir);
  const { dim, k } = ds.meta;
  const queries = Array.from({ length: Math.min(20, ds.meta.nQueries) }, (_, i) => Array.from(row(ds.queries, dim, i)));
  const loop = new LoopWatch();
  loop.enable();
  const t0 = performance.now();
  step = "open";
  const h = await sys.open({ dir: job.dir, ds, peersDir: job.peersDir });
  let closed = false;
  try {
    const openMs = performance.now() - t0;
    await h.query(queries[0]!, k);
    const readyMs = performance.now() - t0;
    loop.disable();
    step = "queries after open";
    const { recall } = await runQueries(h, queries, ds.truth.all.slice(0, queries.length), k);
    step = "same index";
    const sameIndex = h.sameIndexSearch ? await timeSameIndex(h, await h.sameIndexSearch(), ds) : undefined;
    step = "close after open";
    const tc = performance.now();
    closed = true;
    await h.close();
    return { openMs, readyMs, loopMaxMs: loop.maxMs, recall, closeMs: performance.now() - tc, sameIndex };
  } finally {
    if (!closed) await h.close().catch(() => undefined);
  }
}

async function main(job: WorkerJob): Promise<WorkerReply> {
  const sys = await loadSystem(job.system);
  const reason = sys.prepare ? await sys.prepare({ dir: job.dir, peersDir: job.peersDir }) : null;
  if (reason) return { ok: false, skipped: true, error: reason };
  const result = job.phase === "build" ? await build(sys, job) : await open(sys, job);
  return { ok: true, result };
}

/** The step in progress, named in the error if the process stalls. */
let step = "starting";

// A promise that nothing will ever settle lets the event loop empty: Node would exit quietly with
// code 0. Report which step stalled instead.
let replied = false;
process.on("beforeExit", () => {
  if (replied) return;
  replied = true;
  const reply: WorkerReply = { ok: false, skipped: false, error: `stalled: the event loop emptied while waiting for ${step} (a promise that nothing settles)` };
  process.send?.(reply, () => process.exit(1));
});

process.once("message", (job: WorkerJob) => {
  main(job)
    .catch((err: unknown): WorkerReply => ({ ok: false, skipped: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
    .then((reply) => {
      replied = true;
      process.send?.(reply, () => process.exit(0));
    })
    .catch(() => process.exit(1));
});
