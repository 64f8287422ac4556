/**
 * `npm run bench [-- options]`: runs the same workloads through chromalite (in process and through
 * its server), the real Chroma, the raw ANN library, an exact native scan and LanceDB, each in its
 * own child process, and writes docs/benchmarks.md + docs/benchmarks.svg. See bench/README.md.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DATASET_NAMES, datasetMeta, prepareDataset, type DatasetMeta } from "./lib/datasets.js";
import { defaultPeersDir, ensurePeer, LANCEDB } from "./lib/peers.js";
import { forkTs, terminate } from "./lib/proc.js";
import { renderMarkdown, renderSvg, type BenchReport, type RunRecord, type SystemInfo } from "./lib/report.js";
import { loadSystem, SYSTEM_IDS } from "./systems/index.js";
import type { BuildResult, OpenResult, WorkerJob, WorkerReply } from "./worker.js";
import { keptSections } from "./lib/doc-section.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const USAGE = `usage: npm run bench -- [options]
  --quick              ~1 minute: 10k synthetic rows + sift, 100 queries, 1 repetition, no peer installs
  --n N                synthetic rows (default 100000; quick 10000)
  --queries N          synthetic queries (default 200; quick 100)
  --reps N             independent runs per system and dataset (default 3; quick 1)
  --datasets a,b       of ${DATASET_NAMES.join(", ")} (default all; quick: synthetic, sift)
  --systems a,b        of ${SYSTEM_IDS.join(", ")} (default all)
  --no-sweep           skip the ef sweep (the chart then has one point per system)
  --install-peers      install missing peers (LanceDB) even in quick mode (full mode always does)
  --out FILE           markdown output (default docs/benchmarks.md; the SVG goes beside it)
  --json FILE          raw results (default bench/results/<time>.json)
  --render FILE        only rewrite the report (--out) from raw results saved earlier`;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    n: { type: "string" },
    queries: { type: "string" },
    reps: { type: "string" },
    datasets: { type: "string" },
    systems: { type: "string" },
    "no-sweep": { type: "boolean", default: false },
    "install-peers": { type: "boolean", default: false },
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

/** Writes the markdown report and the SVG chart beside it. */
function writeReport(report: BenchReport, out: string): string {
  const chart = out.replace(/\.md$/, "") + ".svg";
  // Sections written by other benchmarks (text quality and speed) are kept as they are.
  const kept = keptSections(out);
  const markdown = [renderMarkdown(report, path.basename(chart)).trimEnd(), ...kept].join("\n\n") + "\n";
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, markdown);
  fs.writeFileSync(chart, renderSvg(report));
  console.log(`\n${markdown}\nwrote ${path.relative(process.cwd(), out)} and ${path.relative(process.cwd(), chart)}`);
  return markdown;
}

if (args.render) {
  const saved = JSON.parse(fs.readFileSync(args.render, "utf8")) as BenchReport;
  writeReport(saved, path.resolve(args.out ?? path.join(import.meta.dirname, "../docs/benchmarks.md")));
  process.exit(0);
}

function intArg(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} expects a positive integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function listArg<T extends string>(v: string | undefined, known: readonly T[], name: string): T[] {
  if (v === undefined) return [...known];
  const items = v.split(",").map((s) => s.trim()) as T[];
  const bad = items.filter((s) => !known.includes(s));
  if (bad.length) {
    console.error(`unknown --${name}: ${bad.join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  return items;
}

const quick = args.quick;
const opts = {
  n: intArg(args.n, quick ? 10_000 : 100_000, "n"),
  queries: intArg(args.queries, quick ? 100 : 200, "queries"),
  reps: intArg(args.reps, quick ? 1 : 3, "reps"),
  // Quick mode keeps one real set (sift) beside the synthetic one, to stay near a minute.
  datasets: listArg(args.datasets, quick ? DATASET_NAMES.filter((d) => d !== "fiori") : DATASET_NAMES, "datasets"),
  systems: listArg(args.systems, SYSTEM_IDS, "systems"),
  sweep: !args["no-sweep"],
  installPeers: !quick || args["install-peers"],
  out: path.resolve(args.out ?? path.join(ROOT, "docs/benchmarks.md")),
  batchSize: 1000,
};
const mode: BenchReport["mode"] =
  quick && !args.n && !args.reps ? "quick" : !quick && !args.n && !args.reps && !args.queries && !args.datasets && !args.systems ? "full" : "custom";
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const jsonOut = path.resolve(args.json ?? path.join(ROOT, "bench/results", `${stamp}.json`));
const cacheDir = path.join(ROOT, "bench/.cache/data");
const peersDir = defaultPeersDir();
const childTimeoutMs = (opts.n / 1000) * 60_000 + 5 * 60_000;

// ------------------------------------------------------------------ cleanup on every exit path

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-bench-"));
const live = new Set<ChildProcess>();
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await Promise.all([...live].map((c) => terminate(c)));
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the benchmark's processes and removing ${tmpRoot}`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ------------------------------------------------------------------ children

function runWorker(job: WorkerJob): Promise<WorkerReply> {
  const child = forkTs(path.join(import.meta.dirname, "worker.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  live.add(child);
  return new Promise<WorkerReply>((resolve) => {
    let reply: WorkerReply | undefined;
    const timer = setTimeout(() => {
      reply ??= { ok: false, skipped: false, error: `timed out after ${Math.round(childTimeoutMs / 1000)} s` };
      void terminate(child);
    }, childTimeoutMs);
    child.once("message", (m: WorkerReply) => (reply ??= m));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve(reply ?? { ok: false, skipped: false, error: `worker exited (code ${code}, signal ${signal}) without a result` });
    });
    child.send(job);
  });
}

const f = (v: number, d = 2) => v.toFixed(d);

function summary(b: BuildResult, n: number): string {
  return (
    `ingest ${Math.round(n / b.ingest.ackSeconds)} rows/s (indexed after ${f(b.ingest.indexedSeconds, 1)} s), ` +
    `p50 ${f(b.query.p50, 3)} ms recall ${f(b.query.recall, 3)}, 10% ${f(b.f10.p50, 3)} ms, 1% ${f(b.f1.p50, 3)} ms`
  );
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = Date.now();
  const loadAvgStart = os.loadavg();
  console.log(
    `chromalite benchmark (${mode}): ${os.cpus().length} cores, Node ${process.version}, load ${loadAvgStart.map((x) => x.toFixed(2)).join(" ")}; ` +
      `datasets ${opts.datasets.join(", ")}; systems ${opts.systems.join(", ")}; ${opts.reps} rep(s)`,
  );
  if (opts.systems.includes("lancedb")) {
    const reason = await ensurePeer(peersDir, LANCEDB, opts.installPeers);
    if (reason) console.log(`lancedb: ${reason}`);
  }
  const datasets: DatasetMeta[] = [];
  const dirs = new Map<string, string>();
  for (const name of opts.datasets) {
    const dir = prepareDataset(cacheDir, { name: name, n: opts.n, nQueries: opts.queries }, (s) => console.log(s));
    const meta = datasetMeta(dir);
    datasets.push(meta);
    dirs.set(name, dir);
  }
  const systems = await Promise.all(SYSTEM_IDS.filter((id) => opts.systems.includes(id)).map(loadSystem));
  const runs: RunRecord[] = [];
  for (const ds of datasets) {
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const sys of systems) {
        const record: RunRecord = { dataset: ds.name, system: sys.id, rep };
        runs.push(record);
        const dir = fs.mkdtempSync(path.join(tmpRoot, `${sys.id}-${ds.name}-`));
        // Quick mode sweeps ef on the synthetic set only, to stay near a minute.
        const sweep = opts.sweep && (!quick || ds.name === "synthetic");
        const job: WorkerJob = { phase: "build", system: sys.id, datasetDir: dirs.get(ds.name)!, dir, peersDir, sweep, batchSize: opts.batchSize };
        const t0 = Date.now();
        try {
          const built = await runWorker(job);
          if (!built.ok) {
            if (built.skipped) record.skipped = built.error;
            else record.error = built.error;
            console.log(`[${ds.name} ${rep}/${opts.reps}] ${sys.id}: ${built.skipped ? "skipped" : "FAILED"}: ${built.error}`);
            continue;
          }
          record.build = built.result as BuildResult;
          const opened = await runWorker({ ...job, phase: "open" });
          if (opened.ok) record.open = opened.result as OpenResult;
          else record.error = `open: ${opened.error}`;
          console.log(
            `[${ds.name} ${rep}/${opts.reps}] ${sys.id}: ${summary(record.build, ds.n)}; ` +
              (record.open ? `open ${Math.round(record.open.readyMs)} ms (recall ${f(record.open.recall)})` : `open FAILED: ${opened.ok ? "" : opened.error}`) +
              ` [${f((Date.now() - t0) / 1000, 1)} s]`,
          );
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  const systemInfo: SystemInfo[] = systems.map((s) => ({
    id: s.id,
    label: s.label,
    inProcess: !["chromalite-server", "chroma"].includes(s.id),
    settings: Object.fromEntries(datasets.map((d) => [d.name, s.settings(d)])),
  }));
  const cpus = os.cpus();
  const report: BenchReport = {
    mode,
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "unknown",
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAvgStart,
      loadAvgEnd: os.loadavg(),
    },
    reps: opts.reps,
    batchSize: opts.batchSize,
    datasets,
    systems: systemInfo,
    runs,
  };
  fs.mkdirSync(path.dirname(jsonOut), { recursive: true });
  fs.writeFileSync(jsonOut, JSON.stringify(report, null, 1));
  writeReport(report, opts.out);
  console.log(`raw results: ${path.relative(process.cwd(), jsonOut)}`);
}

try {
  await main();
} finally {
  await cleanup();
}
