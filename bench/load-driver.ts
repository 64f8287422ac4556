/**
 * One driver process of bench/server-load.ts: `clients` official chromadb clients (one ChromaClient
 * each), every one a loop of awaited, randomly mixed add / query / get calls for `seconds`, all
 * starting at the same moment. IPC: ← LoadJob → {ready} ← {go: epoch ms} → LoadReply.
 */
import type { Collection } from "chromadb";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { rng } from "../test/helpers/rng.js";
import { K, loadDayData, queryVector, records } from "./lib/day-data.js";
import { clientCollection } from "./lib/day-systems.js";
import { sleep } from "./lib/proc.js";

export const OPS = ["query", "get", "add"] as const;
export type Op = (typeof OPS)[number];

export interface LoadJob {
  host: string;
  port: number;
  dataDir: string;
  driver: number;
  drivers: number;
  clients: number;
  seconds: number;
  /** Shares of query, get and add (summing to 1). */
  mix: Record<Op, number>;
  addBatch: number;
  /** Rows already in the collection (ids id0 … id<preloaded-1>), for gets; new adds start after them. */
  preloaded: number;
}

export interface LoadResult {
  /** Per completed call: its kind (index in OPS), end (ms after the start), latency ms, 1 if it failed. */
  kind: number[];
  end: number[];
  ms: number[];
  failed: number[];
  errors: Record<string, number>;
  /** CPU time of this driver process during the run, ms (user + system), and its worst loop delay. */
  cpuMs: number;
  loopMaxMs: number;
}

export type LoadReply = { ok: true; result: LoadResult } | { ok: false; error: string };

async function run(job: LoadJob): Promise<LoadResult> {
  const d = loadDayData(job.dataDir, false);
  const pool = Array.from({ length: d.meta.nQueries }, (_, i) => queryVector(d, i));
  const cols: Collection[] = [];
  for (let c = 0; c < job.clients; c++) cols.push(await clientCollection({ host: job.host, port: job.port }));
  const startAt = await new Promise<number>((resolve) => {
    process.once("message", (m: { go: number }) => resolve(m.go));
    process.send?.({ ready: true });
  });
  const out: LoadResult = { kind: [], end: [], ms: [], failed: [], errors: {}, cpuMs: 0, loopMaxMs: 0 };
  // Batches of new records take the pool's rows after the preloaded ones, interleaved by driver.
  let batches = 0;
  await sleep(Math.max(0, startAt - Date.now()));
  const t0 = performance.now();
  const stopAt = t0 + job.seconds * 1000;
  const cpu0 = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const client = async (c: number, col: Collection) => {
    const next = rng(1000 * job.driver + c + 1);
    const idOf = (row: number) => `d${job.driver}c${c}r${row}`;
    while (performance.now() < stopAt) {
      const u = next();
      const op: Op = u < job.mix.query ? "query" : u < job.mix.query + job.mix.get ? "get" : "add";
      const t = performance.now();
      let failed = 0;
      try {
        if (op === "query") {
          await col.query({ queryEmbeddings: [pool[Math.floor(next() * pool.length)]!], nResults: K });
        } else if (op === "get") {
          // 10 distinct preloaded ids (the client rejects duplicates).
          const first = Math.floor(next() * job.preloaded);
          const ids = Array.from({ length: Math.min(10, job.preloaded) }, (_, j) => `id${(first + j) % job.preloaded}`);
          await col.get({ ids });
        } else {
          // The pool's vectors again (from after the preloaded rows), under ids of this client.
          const from = job.preloaded + (batches++ * job.drivers + job.driver) * job.addBatch;
          await col.add(records(d, from, from + job.addBatch, idOf));
        }
      } catch (err) {
        failed = 1;
        const msg = String(err).split("\n")[0]!.slice(0, 200);
        out.errors[msg] = (out.errors[msg] ?? 0) + 1;
      }
      const end = performance.now();
      out.kind.push(OPS.indexOf(op));
      out.end.push(end - t0);
      out.ms.push(end - t);
      out.failed.push(failed);
    }
  };
  await Promise.all(cols.map((col, c) => client(c, col)));
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  out.cpuMs = (cpu.user + cpu.system) / 1000;
  out.loopMaxMs = loop.max / 1e6;
  return out;
}

process.once("message", (job: LoadJob) => {
  run(job)
    .then(
      (result): LoadReply => ({ ok: true, result }),
      (err: unknown): LoadReply => ({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    )
    .then((reply) => process.send?.(reply, () => process.exit(0)))
    .catch(() => process.exit(1));
});
