/**
 * One system, one data set, one phase of "a user's day" (bench/day.ts), in a process of its own.
 *
 * - idle:  add every row in batches, no queries; poll getIndexingStatus() until every row is indexed.
 * - day:   the same ingest, and from the first add one caller runs back-to-back awaited queries
 *          (k = 10) in this process, through ingest and indexing, then `tail` seconds more.
 * - mixed: writes paced at `writeRate` rows/s (small batches, a steady app's writes) with the same
 *          back-to-back queries.
 *
 * Every `sampleMs` the indexing status, the rows acknowledged and the event loop's worst delay since
 * the last sample are recorded. Recall is scored after the run (not while it is timed).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { K, loadDayData, queryVector, recallAt, records, rowOf } from "./lib/day-data.js";
import { openDaySystem, type DaySystem, type DaySystemId } from "./lib/day-systems.js";
import { currentRss, peakRss, resetPeakRss, sleep } from "./lib/proc.js";
import { latency, type Latency } from "./lib/stats.js";

export type DayPhase = "idle" | "day" | "mixed";

export interface DayJob {
  system: DaySystemId;
  phase: DayPhase;
  dataDir: string;
  /** The system's data folder (empty). */
  dir: string;
  batchSize: number;
  /** mixed: rows per second written. */
  writeRate?: number;
  /** Give up waiting for indexing this many seconds after the first add. */
  deadlineSeconds: number;
  /** Seconds of queries after everything is indexed (or, without a status, acknowledged). */
  tailSeconds: number;
  sampleMs: number;
}

export interface SecondRow {
  s: number;
  acked: number;
  /** Rows indexed at the last sample of that second (null: no status). */
  indexed: number | null;
  queries: number;
  p50: number | null;
  p99: number | null;
  recall: number | null;
  loopMaxMs: number;
  errors: number;
}

export interface WindowFigures extends Latency {
  queries: number;
  recall: number | null;
}

export interface DayResult {
  createMs: number;
  /** First add → last add acknowledged. */
  ackSeconds: number;
  /** Rows acknowledged by the end (n unless the writes stalled). */
  ackedRows: number;
  /** Queries that failed (not in the latency figures), and the first error. */
  queryErrors: number;
  firstQueryError?: string;
  /** First add → every row indexed (null: not reached, or no status). */
  indexedSeconds: number | null;
  indexedNote?: string;
  /** First add → the run stopped. */
  endSeconds: number;
  /** Largest (acknowledged − indexed) seen. */
  maxBacklog: number | null;
  /** Worst event-loop delay over the whole run (this process). */
  loopMaxMs: number;
  /**
   * Queries from the first add until indexed (or, without a status, until the last add returned);
   * while rows were being added; after the last add until indexed; after that; all.
   */
  windows: { whole?: WindowFigures; ingest?: WindowFigures; catchUp?: WindowFigures; steady?: WindowFigures; all?: WindowFigures };
  seconds: SecondRow[];
  closeMs: number;
  /** The system's peak RSS: the server process's, or this worker's (data included). */
  peakRssBytes?: number;
  /** In process: the RSS that the harness's own copy of the data takes (part of peakRssBytes). */
  harnessDataBytes?: number;
}

export type DayReply = { ok: true; result: DayResult } | { ok: false; error: string };

interface Sample {
  t: number;
  acked: number;
  indexed: number | null;
  loopMs: number;
}

let step = "starting";

/** First index whose value is >= x, in an ascending array. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function run(job: DayJob): Promise<DayResult> {
  const before = currentRss() ?? 0;
  const d = loadDayData(job.dataDir);
  const harnessDataBytes = Math.max(0, (currentRss() ?? 0) - before);
  const n = d.meta.n;
  const pool = Array.from({ length: d.meta.nQueries }, (_, i) => queryVector(d, i));
  resetPeakRss();

  step = "create";
  const tc = performance.now();
  const sys: DaySystem = await openDaySystem(job.system, job.dir, d.meta.space);
  serverOf = sys.server;
  const createMs = performance.now() - tc;
  let closed = false;
  try {
    // Event-loop delay: the histogram covers each sample window; the probe's last turn catches a
    // loop that has not reached its timers at all since (the histogram would then hold nothing).
    const hist = monitorEventLoopDelay({ resolution: 10 });
    hist.enable();
    let lastTurn = performance.now();
    const probe = setInterval(() => (lastTurn = performance.now()), 10);
    let loopMaxMs = 0;

    const t0 = performance.now();
    const now = () => performance.now() - t0;
    let acked = 0;
    let ackEnd: number | undefined;
    let indexedAt: number | undefined;
    let noStatus = false;
    let stopAt = Infinity;
    const samples: Sample[] = [];
    let sampling = false;
    let lastSample = -Infinity;
    const deadline = job.deadlineSeconds * 1000;

    const sample = async (): Promise<void> => {
      if (sampling || now() - lastSample < job.sampleMs) return;
      sampling = true;
      lastSample = now();
      try {
        const ackedNow = acked;
        const st = noStatus ? null : await sys.status();
        if (!st) noStatus = true;
        const t = now();
        const loopMs = Math.max(hist.max / 1e6, performance.now() - lastTurn - 10);
        hist.reset();
        loopMaxMs = Math.max(loopMaxMs, loopMs);
        samples.push({ t, acked: ackedNow, indexed: st ? st.indexed : null, loopMs });
        const done = ackEnd !== undefined && (noStatus || (st!.indexed >= n && st!.total >= n));
        if (done && stopAt === Infinity) {
          if (!noStatus) indexedAt = t;
          stopAt = job.phase === "idle" ? t : t + job.tailSeconds * 1000;
        }
      } finally {
        sampling = false;
      }
    };
    const stopped = () => now() >= Math.min(stopAt, deadline);

    step = "add";
    const ingest = (async () => {
      const batch = job.phase === "mixed" ? Math.min(100, job.batchSize) : job.batchSize;
      for (let from = 0, b = 0; from < n && !stopped(); from += batch, b++) {
        if (job.phase === "mixed") {
          const due = (from / job.writeRate!) * 1000;
          if (due > now()) await sleep(due - now());
        }
        // Plain awaited calls, as a user's script has them: nothing here yields to the event loop.
        await sys.add(records(d, from, Math.min(n, from + batch)));
        acked = Math.min(n, from + batch);
        await sample();
      }
      if (acked < n) return;
      ackEnd = now();
      lastSample = -Infinity;
      await sample();
    })();

    // One awaiting caller, back to back from the first add.
    const qEnd: number[] = [];
    const qLat: number[] = [];
    const qAcked: number[] = [];
    const qRows: number[][] = [];
    const qPool: number[] = [];
    const qErrors: number[] = [];
    let firstQueryError: string | undefined;
    const querying = (async () => {
      if (job.phase === "idle") return;
      for (let i = 0; !stopped(); i++) {
        const issuedAcked = acked;
        const t = performance.now();
        let ids: string[];
        try {
          ids = await sys.query(pool[i % pool.length]!, K);
        } catch (err) {
          // Counted, not fatal: the real Chroma fails queries on a collection it has not written yet.
          qErrors.push(performance.now() - t0);
          firstQueryError ??= String(err).split("\n")[0];
          await sample();
          continue;
        }
        const end = performance.now();
        qEnd.push(end - t0);
        qLat.push(end - t);
        qAcked.push(issuedAcked);
        qRows.push(ids.map(rowOf));
        qPool.push(i % pool.length);
        await sample();
      }
    })();

    const ticker = (async () => {
      while (!stopped()) {
        await sleep(job.sampleMs);
        await sample();
      }
    })();

    await Promise.all([ingest, querying, ticker]);
    step = "waiting for the ingest, queries and sampler to end";
    const endMs = now();
    clearInterval(probe);
    hist.disable();

    step = "close";
    const tClose = performance.now();
    closed = true;
    await sys.close();
    const closeMs = performance.now() - tClose;
    const peakRssBytes = sys.server ? sys.server.peakRss() : peakRss();

    step = "scoring";
    const recall = qRows.map((rows, i) => recallAt(d, qPool[i]!, qAcked[i]!, rows));
    const window = (from: number, to: number): WindowFigures | undefined => {
      // qEnd ascends (one caller): the window is one slice.
      const lo = lowerBound(qEnd, from);
      const idx = Array.from({ length: lowerBound(qEnd, to) - lo }, (_, j) => lo + j);
      if (idx.length === 0) return undefined;
      const r = idx.map((i) => recall[i]).filter((x): x is number => x !== undefined);
      return { ...latency(idx.map((i) => qLat[i]!)), queries: idx.length, recall: r.length ? r.reduce((a, b) => a + b, 0) / r.length : null };
    };
    const doneAt = indexedAt ?? (noStatus ? ackEnd! : endMs);
    const seconds: SecondRow[] = [];
    for (let s = 0; s * 1000 < endMs; s++) {
      const inSecond = samples.filter((x) => x.t >= s * 1000 && x.t < (s + 1) * 1000);
      const last = inSecond.at(-1) ?? samples.filter((x) => x.t < s * 1000).at(-1);
      const w = window(s * 1000, (s + 1) * 1000);
      seconds.push({
        s,
        acked: last?.acked ?? 0,
        indexed: last?.indexed ?? null,
        queries: w?.queries ?? 0,
        p50: w?.p50 ?? null,
        p99: w?.p99 ?? null,
        recall: w?.recall ?? null,
        loopMaxMs: Math.max(0, ...inSecond.map((x) => x.loopMs)),
        errors: qErrors.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length,
      });
    }
    const backlog = samples.filter((x) => x.indexed !== null).map((x) => x.acked - x.indexed!);
    return {
      createMs,
      ackSeconds: (ackEnd ?? endMs) / 1000,
      ackedRows: acked,
      queryErrors: qErrors.length,
      firstQueryError,
      indexedSeconds: indexedAt === undefined ? null : indexedAt / 1000,
      indexedNote: ackEnd === undefined
        ? `writes did not finish: ${acked} of ${n} acknowledged after ${(endMs / 1000).toFixed(0)} s`
        : noStatus
        ? "n/a: no getIndexingStatus (the real Chroma's local server does not implement it; queries see rows once add returns)"
        : indexedAt === undefined
          ? `not fully indexed after ${(endMs / 1000).toFixed(0)} s: ${samples.at(-1)?.indexed ?? 0} of ${n}`
          : undefined,
      endSeconds: endMs / 1000,
      maxBacklog: backlog.length ? Math.max(...backlog) : null,
      loopMaxMs,
      windows: {
        whole: window(0, doneAt),
        ingest: window(0, ackEnd ?? endMs),
        catchUp: ackEnd !== undefined && doneAt > ackEnd ? window(ackEnd, doneAt) : undefined,
        steady: window(doneAt, Infinity),
        all: window(0, Infinity),
      },
      seconds,
      closeMs,
      peakRssBytes,
      harnessDataBytes: sys.server ? undefined : harnessDataBytes,
    };
  } finally {
    if (!closed) await sys.close().catch(() => undefined);
  }
}

// Stopped by the parent (timeout, Ctrl-C): stop the server we started (its temp folder with it).
let serverOf: DaySystem["server"];
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.once(sig, () => void (serverOf ? serverOf.stop() : Promise.resolve()).finally(() => process.exit(143)));
}

// A promise that nothing settles lets the loop empty and Node exit with 0: report the step instead.
let replied = false;
process.on("beforeExit", () => {
  if (replied) return;
  replied = true;
  const reply: DayReply = { ok: false, error: `stalled: the event loop emptied while waiting for ${step}` };
  process.send?.(reply, () => process.exit(1));
});

process.once("message", (job: DayJob) => {
  run(job)
    .then(
      (result): DayReply => ({ ok: true, result }),
      (err: unknown): DayReply => ({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    )
    .then((reply) => {
      replied = true;
      process.send?.(reply, () => process.exit(0));
    })
    .catch(() => process.exit(1));
});
