/**
 * `npm run bench:day [-- options]`: "a user's day" (issue 10 item 7). Per system (chromalite in
 * process, chromalite's server and the real Chroma through the official client), each run in a
 * child process of its own: ingest in batches of 1,000 with back-to-back queries from the first add,
 * reported per second; the same ingest idle; paced writes with queries. Writes the `day` section of
 * docs/benchmarks.md and docs/benchmarks-day.svg. See bench/README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { DayJob, DayPhase, DayReply, DayResult } from "./day-worker.js";
import { Run, loadAvg, machine } from "./lib/children.js";
import { prepareDayData, readDayMeta, type DayDataMeta } from "./lib/day-data.js";
import { dsKey, renderDayMarkdown, renderDaySvg, type DayReport, type DayRun } from "./lib/day-report.js";
import { DAY_LABELS, DAY_SYSTEMS, type DaySystemId } from "./lib/day-systems.js";
import { writeSection } from "./lib/doc-section.js";
import { oracleAvailable } from "./lib/oracle.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const PHASES: readonly DayPhase[] = ["idle", "day", "mixed"];
const USAGE = `usage: npm run bench:day -- [options]
  --quick            a few minutes: 10k x 384 and 5k x 100, 1 s tails
  --n384 N           rows of the 384-d set (l2; default 100000, quick 10000)
  --n100 N           rows of the 100-d set (cosine; default 20000, quick 5000); 0 skips a set
  --systems a,b      of ${DAY_SYSTEMS.join(", ")} (default all)
  --phases a,b       of ${PHASES.join(", ")} (default all; mixed needs chromalite's idle rate or --write-rate)
  --write-rate R     rows/s of the mixed phase (default: half chromalite's idle indexed rate in this run)
  --tail S           seconds of queries after everything is indexed (default 5, quick 1)
  --out FILE         markdown file to write the section into (default docs/benchmarks.md; SVG beside it)
  --json FILE        raw results (default bench/results/day-<time>.json)
  --render FILE      only rewrite the section from raw results saved earlier`;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    n384: { type: "string" },
    n100: { type: "string" },
    systems: { type: "string" },
    phases: { type: "string" },
    "write-rate": { type: "string" },
    tail: { type: "string" },
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
const num = (v: string | undefined, fallback: number, name: string): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} expects a number >= 0\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const list = <T extends string>(v: string | undefined, known: readonly T[], name: string): T[] => {
  const items = v === undefined ? [...known] : (v.split(",").map((s) => s.trim()) as T[]);
  const bad = items.filter((s) => !known.includes(s));
  if (bad.length) {
    console.error(`unknown --${name}: ${bad.join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  return items;
};

const out = path.resolve(args.out ?? path.join(ROOT, "docs/benchmarks.md"));
const svgName = `${path.basename(out, ".md")}-day.svg`;

function write(report: DayReport): void {
  writeSection("day", "A user's day: ingest with queries from the first moment", renderDayMarkdown(report, svgName), out);
  fs.writeFileSync(path.join(path.dirname(out), svgName), renderDaySvg(report));
  console.log(`wrote the day section of ${path.relative(process.cwd(), out)} and ${svgName} beside it`);
}

if (args.render) {
  write(JSON.parse(fs.readFileSync(args.render, "utf8")) as DayReport);
  process.exit(0);
}

const opts = {
  sets: [
    { n: num(args.n384, quick ? 10_000 : 100_000, "n384"), dim: 384, space: "l2" as const },
    { n: num(args.n100, quick ? 5_000 : 20_000, "n100"), dim: 100, space: "cosine" as const },
  ].filter((s) => s.n > 0),
  systems: list(args.systems, DAY_SYSTEMS, "systems"),
  phases: list(args.phases, PHASES, "phases"),
  writeRate: args["write-rate"] === undefined ? undefined : num(args["write-rate"], 0, "write-rate"),
  tail: num(args.tail, quick ? 1 : 5, "tail"),
  batchSize: 1000,
  nQueries: quick ? 100 : 200,
};
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const jsonOut = path.resolve(args.json ?? path.join(ROOT, "bench/results", `day-${stamp}.json`));
const WORKER = path.join(import.meta.dirname, "day-worker.ts");
const run = new Run("chromalite-day-");

const f1 = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(1));

async function main(): Promise<void> {
  const started = Date.now();
  const loadStart = os.loadavg();
  console.log(`user's day (${quick ? "quick" : "full"}): load ${loadAvg()}; systems ${opts.systems.join(", ")}; phases ${opts.phases.join(", ")}`);
  const skipped: Record<string, string> = {};
  if (opts.systems.includes("chroma")) {
    const st = await oracleAvailable();
    if (!st.ok) skipped.chroma = st.reason;
  }
  const systems = opts.systems.filter((s) => !skipped[s]);
  const datasets: DayDataMeta[] = [];
  const runs: DayRun[] = [];
  for (const set of opts.sets) {
    const dataDir = prepareDayData(path.join(ROOT, "bench/.cache/data"), set.n, set.dim, set.space, opts.nQueries, (s) => console.log(s));
    const meta = readDayMeta(dataDir);
    datasets.push(meta);
    const idle = new Map<DaySystemId, DayResult>();
    for (const phase of PHASES.filter((p) => opts.phases.includes(p))) {
      let writeRate: number | undefined;
      if (phase === "mixed") {
        const base = idle.get("chromalite")?.indexedSeconds;
        writeRate = opts.writeRate ?? (base ? Math.round(meta.n / base / 2) : undefined);
        if (!writeRate) {
          console.log(`mixed phase skipped for ${meta.title}: no idle rate of chromalite (use --write-rate)`);
          continue;
        }
      }
      for (const system of systems) {
        if (run.stopping) return;
        const idleSeconds = idle.get(system)?.indexedSeconds ?? idle.get(system)?.ackSeconds;
        const writeSeconds = writeRate ? meta.n / writeRate : 0;
        // Indexing that never finishes must not hang the run: give up at 5x idle (quick 3x; at least 30 s, quick 10 s).
        const deadlineSeconds = idleSeconds ? Math.max(quick ? 10 : 30, writeSeconds + (quick ? 3 : 5) * idleSeconds) : quick ? 180 : 900;
        const job: DayJob = {
          system,
          phase,
          dataDir,
          dir: run.folder(`${system}-${phase}`),
          batchSize: opts.batchSize,
          writeRate,
          deadlineSeconds,
          tailSeconds: opts.tail,
          sampleMs: 100,
        };
        const t = Date.now();
        const reply = await run.job<DayReply>(WORKER, job, (deadlineSeconds + 180) * 1000, (error) => ({ ok: false, error }));
        fs.rmSync(job.dir, { recursive: true, force: true });
        const rec: DayRun = { dataset: dsKey(meta), system, phase, writeRate, ...(reply.ok ? { result: reply.result } : { error: reply.error }) };
        runs.push(rec);
        if (reply.ok && phase === "idle") idle.set(system, reply.result);
        const r = reply.ok ? reply.result : undefined;
        console.log(
          `[${meta.n}x${meta.dim} ${phase}] ${system}: ` +
            (r
              ? `acked ${r.ackSeconds.toFixed(1)} s, indexed ${r.indexedSeconds === null ? (r.indexedNote ?? "—") : `${r.indexedSeconds.toFixed(1)} s`}` +
                (r.windows.all ? `, ${r.windows.all.queries} queries p50 ${r.windows.all.p50.toFixed(2)} ms recall ${f1((r.windows.all.recall ?? NaN) * 100)}%` : "") +
                `, loop max ${r.loopMaxMs.toFixed(0)} ms, peak RSS ${((r.peakRssBytes ?? 0) / 2 ** 20).toFixed(0)} MB`
              : `FAILED: ${reply.ok ? "" : reply.error.split("\n")[0]}`) +
            ` [${((Date.now() - t) / 1000).toFixed(0)} s, load ${loadAvg()}]`,
        );
      }
    }
  }
  const report: DayReport = {
    mode: quick ? "quick" : "full",
    command: ["npm run bench:day", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: os.loadavg() },
    batchSize: opts.batchSize,
    tailSeconds: opts.tail,
    datasets,
    systems: systems.map((id) => ({ id, label: DAY_LABELS[id] })),
    skipped,
    runs,
  };
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
