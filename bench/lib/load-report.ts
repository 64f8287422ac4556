/** Summaries and the `server-load` section of docs/benchmarks.md (tables, targets) with its SVG chart. */
import type { LoadResult, Op } from "../load-driver.js";
import { OPS } from "../load-driver.js";
import type { Latency } from "./stats.js";
import { latency } from "./stats.js";
import { COLORS } from "./day-report.js";
import { lineChart, type Panel } from "./line-chart.js";

export interface WindowRow {
  from: number;
  opsPerSecond: number;
  byKind: Record<Op, number>;
  failed: number;
  query: Latency | null;
  add: Latency | null;
  addedRowsPerSecond: number;
  /** Unindexed rows at the end of the window (null: no status). */
  backlog: number | null;
}

export interface LoadSummary {
  system: string;
  label: string;
  preloadSeconds: number;
  preloadIndexedSeconds: number | null;
  windows: WindowRow[];
  latency: Record<Op, Latency | null>;
  calls: number;
  failed: number;
  errors: Record<string, number>;
  /** [seconds since the start, unindexed, total] every second, during the load and the drain. */
  backlog: [number, number, number][];
  /** After the load stopped, until nothing was unindexed (null: not within the cap, or no status). */
  drainSeconds: number | null;
  drainCapSeconds: number;
  serverPeakRssBytes?: number;
  driverCpuPercent: number;
  driverLoopMaxMs: number;
}

export interface PathSummary {
  rows: number;
  dim: number;
  floor: Latency;
  server: Latency;
  inProcess: Latency;
}

export interface LoadReport {
  mode: "quick" | "full";
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string; os: string; memoryGiB: number; loadAvgStart: number[]; loadAvgEnd: number[] };
  settings: { clients: number; drivers: number; seconds: number; window: number; preload: number; dim: number; mix: Record<Op, number>; addBatch: number };
  load: LoadSummary[];
  loadErrors: Record<string, string>;
  path?: PathSummary;
  pathError?: string;
}

/** Per-window and overall figures of the drivers' calls. */
export function summarise(results: LoadResult[], seconds: number, window: number, addBatch: number): Pick<LoadSummary, "windows" | "latency" | "calls" | "failed" | "errors"> {
  const calls = results.flatMap((r) => r.kind.map((kind, i) => ({ kind, end: r.end[i]!, ms: r.ms[i]!, failed: r.failed[i]! })));
  const ok = calls.filter((c) => !c.failed && c.end <= seconds * 1000);
  const lat = (kind: number, list = ok) => {
    const t = list.filter((c) => c.kind === kind).map((c) => c.ms);
    return t.length ? latency(t) : null;
  };
  const windows: WindowRow[] = [];
  for (let from = 0; from + window <= seconds + 1e-9; from += window) {
    const inWin = ok.filter((c) => c.end >= from * 1000 && c.end < (from + window) * 1000);
    const byKind = Object.fromEntries(OPS.map((op, k) => [op, inWin.filter((c) => c.kind === k).length / window])) as Record<Op, number>;
    windows.push({
      from,
      opsPerSecond: inWin.length / window,
      byKind,
      failed: calls.filter((c) => c.failed && c.end >= from * 1000 && c.end < (from + window) * 1000).length,
      query: lat(0, inWin),
      add: lat(2, inWin),
      addedRowsPerSecond: byKind.add * addBatch,
      backlog: null,
    });
  }
  const errors: Record<string, number> = {};
  for (const r of results) for (const [m, n] of Object.entries(r.errors)) errors[m] = (errors[m] ?? 0) + n;
  return {
    windows,
    latency: { query: lat(0), get: lat(1), add: lat(2) },
    calls: calls.length,
    failed: calls.filter((c) => c.failed).length,
    errors,
  };
}

const fmt = (v: number | null | undefined, d?: number): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const digits = d ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  return v.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const lat = (l: Latency | null | undefined) => (l ? `${fmt(l.p50)} / ${fmt(l.p99)}` : "—");
const met = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "met" : "**not met**");

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

export function renderLoadMarkdown(report: LoadReport, svgName: string): string {
  const m = report.machine;
  const s = report.settings;
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(" ");
  const busy = Math.max(...m.loadAvgStart, ...m.loadAvgEnd) > 0.5 * m.cpus;
  const out = [
    `\`${report.command}\` (${report.mode}), ${report.startedAt.slice(0, 16).replace("T", " ")} UTC, ${fmt(report.durationSeconds / 60, 1)} min; ` +
      `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; load average ${la(m.loadAvgStart)} at the start, ${la(m.loadAvgEnd)} at the end` +
      (busy ? " (**busy machine: the figures are noisy**)." : "."),
    "",
    `${s.clients} official \`chromadb\` clients (one \`ChromaClient\` each) in ${s.drivers} driver processes, each client a loop of awaited calls for ${s.seconds} s: ` +
      `${Math.round(s.mix.query * 100)}% query (k = 10, default fields), ${Math.round(s.mix.get * 100)}% get of 10 ids, ${Math.round(s.mix.add * 100)}% add of ${s.addBatch} rows (${s.dim}-d, with documents and metadata), ` +
      `against a collection preloaded with ${s.preload.toLocaleString("en")} rows and indexed before the load starts. The server runs in a process of its own (chromalite: \`startServer\`, as \`chromalite run\`). ` +
      `*Backlog*: \`num_unindexed_ops\` of \`getIndexingStatus()\`, polled every second (the real Chroma does not implement it). *Drain*: after the load stops, until the backlog is 0. ` +
      `*Driver CPU*: the drivers' CPU time ÷ (wall time × cores): near 100% means the drivers, not the server, set the pace.`,
    "",
    `![throughput and backlog per window](${svgName})`,
    "",
  ];
  for (const [id, e] of Object.entries(report.loadErrors)) out.push(`- **${id}** failed: ${e.split("\n")[0]}`, "");
  out.push(
    `### Server under load (${s.window}-s windows)`,
    "",
    table(
      ["system", `calls/s first ${s.window} s`, `last ${s.window} s`, "last ÷ first", "query p50 / p99 ms", "get p50 / p99", "add p50 / p99", "failed calls", "backlog max / at end", "drain s", "server peak RSS MB", "driver CPU"],
      report.load.map((l) => {
        const first = l.windows[0];
        const last = l.windows.at(-1);
        const backlogs = l.backlog.filter(([t]) => t <= s.seconds).map(([, u]) => u);
        return [
          l.label,
          fmt(first?.opsPerSecond, 0),
          fmt(last?.opsPerSecond, 0),
          first && last ? `${fmt(last.opsPerSecond / first.opsPerSecond, 2)}×` : "—",
          lat(l.latency.query),
          lat(l.latency.get),
          lat(l.latency.add),
          `${l.failed.toLocaleString("en")} of ${l.calls.toLocaleString("en")}`,
          backlogs.length ? `${fmt(Math.max(...backlogs), 0)} / ${fmt(backlogs.at(-1), 0)}` : "n/a",
          l.backlog.length ? (l.drainSeconds === null ? `> ${l.drainCapSeconds}` : fmt(l.drainSeconds, 1)) : "n/a",
          fmt((l.serverPeakRssBytes ?? NaN) / 2 ** 20, 0),
          `${fmt(l.driverCpuPercent, 0)}%`,
        ];
      }),
    ),
    "",
  );
  for (const l of report.load) {
    const errs = Object.entries(l.errors).sort((a, b) => b[1] - a[1]);
    if (errs.length) out.push(`- ${l.label}, failed calls: ${errs.slice(0, 3).map(([msg, n]) => `${n} × ${msg}`).join("; ")}`);
  }
  out.push(
    "",
    "Per window: calls/s (query / get / add) · query p50 / p99 ms · add p50 / p99 ms · backlog at the window's end",
    "",
    table(
      ["window", ...report.load.map((l) => l.label)],
      (report.load[0]?.windows ?? []).map((_, i) => [
        `${i * s.window}–${(i + 1) * s.window} s`,
        ...report.load.map((l) => {
          const w = l.windows[i];
          return w ? `${fmt(w.opsPerSecond, 0)} (${fmt(w.byKind.query, 0)} / ${fmt(w.byKind.get, 0)} / ${fmt(w.byKind.add, 0)}) · ${lat(w.query)} · ${lat(w.add)} · ${fmt(w.backlog, 0)}` : "";
        }),
      ]),
    ),
    "",
  );
  const cl = report.load.find((l) => l.system === "chromalite-server");
  if (cl) {
    const first = cl.windows[0]?.opsPerSecond;
    const last = cl.windows.at(-1)?.opsPerSecond;
    const end = cl.backlog.filter(([t]) => t <= s.seconds).at(-1)?.[1];
    const perWindow = (cl.windows.at(-1)?.addedRowsPerSecond ?? 0) * s.window;
    out.push(
      "Targets of issue 10 item 6 (chromalite's server): " +
        `last window within 20% of the first: ${met(first && last ? last >= 0.8 * first : undefined)}; ` +
        `query p99 < 50 ms: ${fmt(cl.latency.query?.p99)} ms, ${met(cl.latency.query ? cl.latency.query.p99 < 50 : undefined)}; ` +
        `backlog bounded (at the end no more than one window's adds, ${fmt(perWindow, 0)} rows): ${met(end === undefined ? undefined : end <= perWindow)}.`,
      "",
    );
  }
  out.push("### Server path", "");
  if (report.pathError) out.push(`Failed: ${report.pathError.split("\n")[0]}`, "");
  const p = report.path;
  if (p) {
    const target = p.floor.p50 + 1.5 * p.inProcess.p50;
    out.push(
      `The same ${p.rows.toLocaleString("en")} × ${p.dim} collection and queries (k = 10, default fields), one awaiting caller: ` +
        "the official client against a trivial `node:http` server in its own process that answers at once with a kept copy of chromalite's answer (the client's own floor), " +
        "against chromalite's server (rounds alternating with the floor), and chromalite in process on the folder that server left.",
      "",
      table(
        ["client floor p50 / p99 ms", "chromalite server", "in process", "server − floor (p50)", "target: floor + 1.5 × in process", "met"],
        [[lat(p.floor), lat(p.server), lat(p.inProcess), fmt(p.server.p50 - p.floor.p50), fmt(target), met(p.server.p50 <= target)]],
      ),
      "",
    );
  }
  return out.join("\n");
}

/** A window's value held across the window: a step line. */
const steps = (windows: WindowRow[], w: number, value: (x: WindowRow) => number): [number, number][] =>
  windows.flatMap((x) => [[x.from, value(x)] as [number, number], [x.from + w, value(x)] as [number, number]]);

export function renderLoadSvg(report: LoadReport): string {
  const W = report.settings.window;
  const panels: Panel[] = [
    {
      title: `calls/s per ${W}-s window (${report.settings.clients} clients)`,
      xLabel: "seconds",
      yLabel: "calls/s",
      series: report.load.map((l) => ({ label: l.label, color: COLORS[l.system] ?? "#000", points: steps(l.windows, W, (w) => w.opsPerSecond) })),
    },
    {
      title: "query p99 per window",
      xLabel: "seconds",
      yLabel: "ms (log)",
      log: true,
      series: report.load.map((l) => ({ label: l.label, color: COLORS[l.system] ?? "#000", points: steps(l.windows, W, (w) => w.query?.p99 ?? NaN) })),
    },
    {
      title: "backlog (unindexed rows), load then drain",
      xLabel: "seconds",
      yLabel: "rows",
      series: report.load.filter((l) => l.backlog.length).map((l) => ({ label: l.label, color: COLORS[l.system] ?? "#000", points: l.backlog.map(([t, u]) => [t, u] as [number, number]) })),
    },
  ];
  return lineChart(panels, 3, report.load.map((l) => ({ label: l.label, color: COLORS[l.system] ?? "#000" })));
}
