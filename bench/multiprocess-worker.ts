/**
 * A process of bench/multiprocess.ts: holds one PersistentClient on the benchmark's folder and runs
 * what the parent asks (write batches, run queries, wait for indexing), timing everything here, in
 * the process that does the work, so IPC costs stay out of the figures. Requests may overlap (a write
 * loop runs until `stop` while other requests are answered).
 */
import { PersistentClient, type Collection } from "../src/index.js";
import { clustered, percentile, type Workload } from "./lib/data.js";

export type Job =
  | { cmd: "open"; path: string; n: number; dim: number; nq: number }
  | { cmd: "create"; name: string }
  | { cmd: "write"; name: string; prefix: string; count: number; batch: number }
  | { cmd: "writeUntilStopped"; name: string; prefix: string; batch: number; everyMs: number }
  | { cmd: "cpu" }
  | { cmd: "stop" }
  | { cmd: "queries"; name: string; count: number; nResults: number }
  | { cmd: "waitIndexing"; name: string }
  | { cmd: "close" };

export interface WriteResult {
  rows: number;
  ms: number;
}
export interface QueryResult {
  count: number;
  p50: number;
  p99: number;
  first: number;
}

let client: PersistentClient | undefined;
let w: Workload | undefined;
let stopping = false;
const collections = new Map<string, Collection>();

async function col(name: string): Promise<Collection> {
  let c = collections.get(name);
  if (!c) {
    c = await client!.getOrCreateCollection({ name });
    collections.set(name, c);
  }
  return c;
}

/**
 * Adds `count` rows (the workload's vectors, cycled) in batches, ids `<prefix><n>`; stops early on
 * `stop`. With `everyMs`, a batch starts every `everyMs` (a fixed rate, whatever a write takes).
 */
async function write(name: string, prefix: string, count: number, batch: number, everyMs = 0): Promise<WriteResult> {
  const c = await col(name);
  const started = performance.now();
  let rows = 0;
  let batches = 0;
  while (rows < count && !(stopping && count === Infinity)) {
    const n = Math.min(batch, count - rows);
    const ids = Array.from({ length: n }, (_, k) => `${prefix}${rows + k}`);
    const embeddings = ids.map((_, k) => w!.vectors[(rows + k) % w!.vectors.length]!);
    await c.add({ ids, embeddings, metadatas: ids.map((_, k) => ({ n: rows + k })) });
    rows += n;
    batches++;
    const wait = started + batches * everyMs - performance.now();
    if (everyMs && wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return { rows, ms: performance.now() - started };
}

async function run(job: Job): Promise<unknown> {
  switch (job.cmd) {
    case "open":
      client = new PersistentClient({ path: job.path, timeout: 0 });
      w = clustered(job.n, job.dim, job.nq);
      await client.heartbeat();
      return { pid: process.pid };
    case "create":
      await col(job.name);
      return {};
    case "write":
      return write(job.name, job.prefix, job.count, job.batch);
    case "writeUntilStopped":
      stopping = false;
      return write(job.name, job.prefix, Infinity, job.batch, job.everyMs);
    case "cpu": {
      const { user, system } = process.cpuUsage();
      return { ms: (user + system) / 1000 };
    }
    case "stop":
      stopping = true;
      return {};
    case "queries": {
      const c = await col(job.name);
      const times: number[] = [];
      for (let i = 0; i < job.count; i++) {
        const t = performance.now();
        await c.query({ queryEmbeddings: [w!.queries[i % w!.queries.length]!], nResults: job.nResults });
        times.push(performance.now() - t);
      }
      const first = times[0] ?? 0;
      times.sort((a, b) => a - b);
      return { count: times.length, p50: percentile(times, 50), p99: percentile(times, 99), first } satisfies QueryResult;
    }
    case "waitIndexing": {
      const t = performance.now();
      await (await col(job.name)).waitForIndexing();
      return { ms: performance.now() - t };
    }
    case "close":
      await client?.close();
      client = undefined;
      return {};
  }
}

process.on("message", (m) => {
  const { id, job } = m as { id: number; job: Job };
  run(job).then(
    (value) => process.send!({ id, ok: true, value }),
    (err: unknown) => process.send!({ id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });
