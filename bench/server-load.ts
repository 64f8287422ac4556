/**
 * `npm run bench:server [-- options]`: issue 10 item 6.
 * - load: chromalite's server (startServer in its own process) and the real Chroma, each with 50
 *   official clients in a few driver processes doing mixed add / query / get; throughput and query
 *   latency per window, the indexing backlog over time, the drain after the load.
 * - path: per query, the official client's own floor (a canned server) vs chromalite's server vs
 *   chromalite in process, on the same data.
 * Writes the `server-load` section of docs/benchmarks.md and docs/benchmarks-server.svg.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { LoadJob, LoadReply, LoadResult, Op } from "./load-driver.js";
import type { PathJob, PathReply } from "./server-path-worker.js";
import { Run, loadAvg, machine } from "./lib/children.js";
import { loadDayData, prepareDayData, records, type DayData } from "./lib/day-data.js";
import { clientCollection, clientStatus, DAY_LABELS } from "./lib/day-systems.js";
import { writeSection } from "./lib/doc-section.js";
import { renderLoadMarkdown, renderLoadSvg, summarise, type LoadReport, type LoadSummary, type PathSummary } from "./lib/load-report.js";
import { oracleAvailable } from "./lib/oracle.js";
import { sleep, terminate } from "./lib/proc.js";
import { startServerProc, type ServerId, type ServerProc } from "./lib/servers.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SERVERS: readonly ServerId[] = ["chromalite-server", "chroma"];
const USAGE = `usage: npm run bench:server -- [options]
  --quick            a couple of minutes: 20 s of load in 5-s windows, 2,000 preloaded rows, 200 path queries
  --only load|path   run one part (default both)
  --systems a,b      load against ${SERVERS.join(", ")} (default both)
  --clients N        official clients (default 50)     --drivers N   driver processes (default 2)
  --seconds S        load duration (default 60; quick 20)  --window S  window (default 10; quick 5)
  --preload N        rows before the load (default 20000; quick 2000), 384-d
  --mix q,g,a        percent query, get, add (default 60,20,20)   --add-batch N  rows per add (default 50)
  --drain S          wait at most S s for the backlog to empty after the load (default 120; quick 30)
  --path-queries N   queries per system in the path part (default 1000; quick 200)
  --out FILE         markdown file to write the section into (default docs/benchmarks.md; SVG beside it)
  --json FILE        raw results (default bench/results/server-<time>.json)
  --render FILE      only rewrite the section from raw results saved earlier`;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    systems: { type: "string" },
    clients: { type: "string" },
    drivers: { type: "string" },
    seconds: { type: "string" },
    window: { type: "string" },
    preload: { type: "string" },
    mix: { type: "string" },
    "add-batch": { type: "string" },
    drain: { type: "string" },
    "path-queries": { type: "string" },
    out: { type: "string" },
    json: { type: "string" },
    render: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = args.quick;
const int = (v: string | undefined, fallback: number, name: string): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} expects a positive integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const out = path.resolve(args.out ?? path.join(ROOT, "docs/benchmarks.md"));
const svgName = `${path.basename(out, ".md")}-server.svg`;

function write(report: LoadReport): void {
  writeSection("server-load", "Server under load and the server path", renderLoadMarkdown(report, svgName), out);
  fs.writeFileSync(path.join(path.dirname(out), svgName), renderLoadSvg(report));
  console.log(`wrote the server-load section of ${path.relative(process.cwd(), out)} and ${svgName} beside it`);
}

if (args.render) {
  write(JSON.parse(fs.readFileSync(args.render, "utf8")) as LoadReport);
  process.exit(0);
}

const mixPct = (args.mix ?? "60,20,20").split(",").map(Number);
if (mixPct.length !== 3 || mixPct.some((x) => !Number.isFinite(x) || x < 0) || mixPct.reduce((a, b) => a + b, 0) <= 0) {
  console.error(`--mix expects three percentages\n${USAGE}`);
  process.exit(2);
}
const mixSum = mixPct.reduce((a, b) => a + b, 0);
const opts = {
  only: args.only,
  systems: (args.systems?.split(",") ?? [...SERVERS]) as ServerId[],
  clients: int(args.clients, 50, "clients"),
  drivers: int(args.drivers, 2, "drivers"),
  seconds: int(args.seconds, quick ? 20 : 60, "seconds"),
  window: int(args.window, quick ? 5 : 10, "window"),
  preload: int(args.preload, quick ? 2_000 : 20_000, "preload"),
  mix: { query: mixPct[0]! / mixSum, get: mixPct[1]! / mixSum, add: mixPct[2]! / mixSum } as Record<Op, number>,
  addBatch: int(args["add-batch"], 50, "add-batch"),
  drain: int(args.drain, quick ? 30 : 120, "drain"),
  pathQueries: int(args["path-queries"], quick ? 200 : 1000, "path-queries"),
  /** The vector pool: the day benchmark's 384-d set (shared cache). */
  poolRows: quick ? 10_000 : 100_000,
};
if (opts.only && !["load", "path"].includes(opts.only)) {
  console.error(`--only expects load or path\n${USAGE}`);
  process.exit(2);
}
if (opts.systems.some((s) => !SERVERS.includes(s))) {
  console.error(`--systems: of ${SERVERS.join(", ")}\n${USAGE}`);
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const jsonOut = path.resolve(args.json ?? path.join(ROOT, "bench/results", `server-${stamp}.json`));
const run = new Run("chromalite-server-bench-");

/** Adds rows [0, n) in batches of 1,000 through the client and waits until they are indexed. */
async function preload(server: ServerProc, d: DayData, n: number): Promise<{ seconds: number; indexedSeconds: number | null }> {
  const col = await clientCollection(server, d.meta.space);
  const t0 = performance.now();
  for (let from = 0; from < n; from += 1000) await col.add(records(d, from, Math.min(n, from + 1000)));
  const seconds = (performance.now() - t0) / 1000;
  const status = clientStatus(col);
  for (;;) {
    const st = await status();
    if (!st) return { seconds, indexedSeconds: null };
    if (st.indexed >= st.total) return { seconds, indexedSeconds: (performance.now() - t0) / 1000 };
    if (performance.now() - t0 > 600_000) throw new Error("preloaded rows not indexed after 600 s");
    await sleep(200);
  }
}

async function loadRun(id: ServerId, dataDir: string, d: DayData): Promise<LoadSummary> {
  const dir = run.folder(id);
  const server = await startServerProc(id, dir);
  const untrack = run.track(() => server.stop());
  try {
    const pre = await preload(server, d, opts.preload);
    console.log(`[load ${id}] preloaded ${opts.preload} rows in ${pre.seconds.toFixed(1)} s (indexed ${pre.indexedSeconds?.toFixed(1) ?? "n/a"} s)`);
    const drivers = Array.from({ length: opts.drivers }, () => run.fork(path.join(import.meta.dirname, "load-driver.ts")));
    const replies = drivers.map(
      (child) =>
        new Promise<LoadReply>((resolve) => {
          let reply: LoadReply | undefined;
          child.on("message", (m: LoadReply | { ready: true }) => {
            if ("ok" in m) reply = m;
          });
          child.once("exit", (code) => resolve(reply ?? { ok: false, error: `driver exited (code ${code}) without a result` }));
        }),
    );
    const ready = drivers.map((child) => new Promise<void>((resolve) => child.once("message", () => resolve())));
    drivers.forEach((child, i) => {
      const clients = Math.floor(opts.clients / opts.drivers) + (i < opts.clients % opts.drivers ? 1 : 0);
      const job: LoadJob = { host: server.host, port: server.port, dataDir, driver: i, drivers: opts.drivers, clients, seconds: opts.seconds, mix: opts.mix, addBatch: opts.addBatch, preloaded: opts.preload };
      child.send(job);
    });
    await Promise.race([Promise.all(ready), sleep(120_000).then(() => Promise.reject(new Error("drivers not ready after 120 s")))]);
    const go = Date.now() + 500;
    drivers.forEach((child) => child.send({ go }));

    // The backlog every second, through a client of our own, during the load and the drain.
    const status = clientStatus(await clientCollection(server));
    const backlog: [number, number, number][] = [];
    let monitoring = true;
    const monitor = (async () => {
      await sleep(Math.max(0, go - Date.now()));
      while (monitoring) {
        const st = await status();
        if (!st) return;
        backlog.push([(Date.now() - go) / 1000, st.total - st.indexed, st.total]);
        await sleep(1000);
      }
    })();
    const timeout = setTimeout(() => drivers.forEach((c) => void terminate(c)), (opts.seconds + 180) * 1000);
    const results = await Promise.all(replies);
    clearTimeout(timeout);
    const loadEnd = (Date.now() - go) / 1000;
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw new Error(`driver: ${failed.error}`);
    const ok = results.map((r) => (r as { result: LoadResult }).result);

    // Drain: until nothing is unindexed, at most opts.drain seconds.
    let drainSeconds: number | null = null;
    const drainStart = Date.now();
    while (backlog.length && Date.now() - drainStart < opts.drain * 1000) {
      const last = backlog.at(-1)!;
      if (last[0] > loadEnd && last[1] === 0) {
        drainSeconds = Math.max(0, last[0] - loadEnd);
        break;
      }
      await sleep(250);
    }
    monitoring = false;
    await monitor;
    const summary = summarise(ok, opts.seconds, opts.window, opts.addBatch);
    for (const w of summary.windows) w.backlog = backlog.filter(([t]) => t <= w.from + opts.window).at(-1)?.[1] ?? null;
    const cpuMs = ok.reduce((a, r) => a + r.cpuMs, 0);
    return {
      system: id,
      label: DAY_LABELS[id],
      preloadSeconds: pre.seconds,
      preloadIndexedSeconds: pre.indexedSeconds,
      ...summary,
      backlog,
      drainSeconds,
      drainCapSeconds: opts.drain,
      serverPeakRssBytes: server.peakRss(),
      driverCpuPercent: (100 * cpuMs) / (opts.seconds * 1000 * os.cpus().length),
      driverLoopMaxMs: Math.max(...ok.map((r) => r.loopMaxMs)),
    };
  } finally {
    untrack();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function pathRun(dataDir: string, d: DayData): Promise<PathSummary> {
  const dir = run.folder("path");
  const rows = opts.preload;
  const server = await startServerProc("chromalite-server", dir);
  const untrack = run.track(() => server.stop());
  let stopped = false;
  try {
    await preload(server, d, rows);
    const canned = run.fork(path.join(import.meta.dirname, "lib/canned-server-main.ts"));
    const port = await new Promise<number>((resolve) => {
      canned.once("message", (m: { port: number }) => resolve(m.port));
      canned.send({ target: `http://${server.host}:${server.port}` });
    });
    const worker = path.join(import.meta.dirname, "server-path-worker.ts");
    const fail = (error: string): PathReply => ({ ok: false, error });
    const job: PathJob = { mode: "client", dataDir, server: { host: server.host, port: server.port }, canned: { host: "127.0.0.1", port }, queries: opts.pathQueries, rounds: 5 };
    const client = await run.job<PathReply>(worker, job, 600_000, fail);
    await terminate(canned);
    await server.stop();
    stopped = true;
    if (!client.ok) throw new Error(client.error);
    const inProc = await run.job<PathReply>(worker, { mode: "inprocess", dataDir, dir, queries: opts.pathQueries } satisfies PathJob, 600_000, fail);
    if (!inProc.ok) throw new Error(inProc.error);
    if (!("floor" in client.result) || !("inProcess" in inProc.result)) throw new Error("unexpected path results");
    return { rows, dim: d.meta.dim, ...client.result, inProcess: inProc.result.inProcess };
  } finally {
    untrack();
    if (!stopped) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadStart = os.loadavg();
  console.log(`server under load (${quick ? "quick" : "full"}): load ${loadAvg()}`);
  const dataDir = prepareDayData(path.join(ROOT, "bench/.cache/data"), opts.poolRows, 384, "l2", quick ? 100 : 200, (s) => console.log(s));
  const d = loadDayData(dataDir, false);
  const report: LoadReport = {
    mode: quick ? "quick" : "full",
    command: ["npm run bench:server", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    startedAt: new Date(started).toISOString(),
    durationSeconds: 0,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: [] },
    settings: { clients: opts.clients, drivers: opts.drivers, seconds: opts.seconds, window: opts.window, preload: opts.preload, dim: 384, mix: opts.mix, addBatch: opts.addBatch },
    load: [],
    loadErrors: {},
  };
  if (opts.only !== "path") {
    for (const id of opts.systems) {
      if (run.stopping) return;
      if (id === "chroma") {
        const st = await oracleAvailable();
        if (!st.ok) {
          report.loadErrors[id] = `skipped: ${st.reason}`;
          continue;
        }
      }
      try {
        const s = await loadRun(id, dataDir, d);
        report.load.push(s);
        const w = s.windows;
        console.log(
          `[load ${id}] calls/s ${w.map((x) => x.opsPerSecond.toFixed(0)).join(" → ")}; query p50 ${s.latency.query?.p50.toFixed(1)} p99 ${s.latency.query?.p99.toFixed(1)} ms; ` +
            `failed ${s.failed}/${s.calls}; backlog ${s.backlog.map(([, u]) => u).join(",") || "n/a"}; drain ${s.drainSeconds?.toFixed(1) ?? "—"} s; load ${loadAvg()}`,
        );
      } catch (err) {
        report.loadErrors[id] = err instanceof Error ? (err.stack ?? err.message) : String(err);
        console.log(`[load ${id}] FAILED: ${String(err)}`);
      }
    }
  }
  if (opts.only !== "load" && !run.stopping) {
    try {
      report.path = await pathRun(dataDir, d);
      const p = report.path;
      console.log(`[path] p50 floor ${p.floor.p50.toFixed(2)} ms, chromalite server ${p.server.p50.toFixed(2)} ms, in process ${p.inProcess.p50.toFixed(2)} ms; load ${loadAvg()}`);
    } catch (err) {
      report.pathError = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.log(`[path] FAILED: ${report.pathError}`);
    }
  }
  report.durationSeconds = (Date.now() - started) / 1000;
  report.machine.loadAvgEnd = os.loadavg();
  if (run.stopping) return;
  fs.mkdirSync(path.dirname(jsonOut), { recursive: true });
  fs.writeFileSync(jsonOut, JSON.stringify(report));
  write(report);
  console.log(`raw results: ${path.relative(process.cwd(), jsonOut)}`);
}

try {
  await main();
} finally {
  await run.cleanup();
}
