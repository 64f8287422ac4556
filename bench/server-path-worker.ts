/**
 * The "server path" measurements of bench/server-load.ts, in a process of their own:
 * - client: the official client against the canned server (its own floor) and against chromalite's
 *   server, on the same collection, in alternating rounds so both see the same machine;
 * - inprocess: chromalite in process on the folder that server left.
 * Same queries everywhere, k = 10, default result fields, one awaiting caller.
 */
import type { Collection } from "chromadb";
import { K, loadDayData, queryVector } from "./lib/day-data.js";
import { clientCollection } from "./lib/day-systems.js";
import { latency, type Latency } from "./lib/stats.js";

export type PathJob =
  | { mode: "client"; dataDir: string; server: { host: string; port: number }; canned: { host: string; port: number }; queries: number; rounds: number }
  | { mode: "inprocess"; dataDir: string; dir: string; queries: number };

export type PathResult = { floor: Latency; server: Latency } | { inProcess: Latency };
export type PathReply = { ok: true; result: PathResult } | { ok: false; error: string };

const WARMUP = 50;

async function timeQueries(query: (q: number[]) => Promise<unknown>, pool: number[][], from: number, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await query(pool[(from + i) % pool.length]!);
    times.push(performance.now() - t);
  }
  return times;
}

async function run(job: PathJob): Promise<PathResult> {
  const d = loadDayData(job.dataDir, false);
  const pool = Array.from({ length: d.meta.nQueries }, (_, i) => queryVector(d, i));
  if (job.mode === "inprocess") {
    const { PersistentClient } = await import("../src/index.js");
    const client = await PersistentClient.open({ path: job.dir, timeout: 0 });
    try {
      const col = await client.getCollection({ name: "day" });
      await col.waitForIndexing();
      const query = (q: number[]) => col.query({ queryEmbeddings: [q], nResults: K });
      await timeQueries(query, pool, 0, WARMUP);
      return { inProcess: latency(await timeQueries(query, pool, 0, job.queries)) };
    } finally {
      await client.close();
    }
  }
  const server = await clientCollection(job.server);
  // Through the canned server while it still forwards: it keeps the answers to replay.
  const canned: Collection = await clientCollection(job.canned);
  const viaServer = (q: number[]) => server.query({ queryEmbeddings: [q], nResults: K });
  const viaCanned = (q: number[]) => canned.query({ queryEmbeddings: [q], nResults: K });
  await viaCanned(pool[0]!);
  const r = await fetch(`http://${job.canned.host}:${job.canned.port}/__replay`, { method: "POST" });
  if (!r.ok) throw new Error(`the canned server did not switch to replay (${r.status})`);
  await timeQueries(viaCanned, pool, 0, WARMUP);
  await timeQueries(viaServer, pool, 0, WARMUP);
  const floor: number[] = [];
  const direct: number[] = [];
  const per = Math.ceil(job.queries / job.rounds);
  for (let round = 0; round < job.rounds; round++) {
    floor.push(...(await timeQueries(viaCanned, pool, round * per, per)));
    direct.push(...(await timeQueries(viaServer, pool, round * per, per)));
  }
  return { floor: latency(floor), server: latency(direct) };
}

process.once("message", (job: PathJob) => {
  run(job)
    .then(
      (result): PathReply => ({ ok: true, result }),
      (err: unknown): PathReply => ({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    )
    .then((reply) => process.send?.(reply, () => process.exit(0)))
    .catch(() => process.exit(1));
});
