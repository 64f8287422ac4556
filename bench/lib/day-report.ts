/** The `day` section of docs/benchmarks.md (tables, targets, per-second rows) and its SVG chart. */
import type { DayPhase, DayResult, SecondRow, WindowFigures } from "../day-worker.js";
import type { DayDataMeta } from "./day-data.js";
import type { DaySystemId } from "./day-systems.js";
import { lineChart, type Panel } from "./line-chart.js";

export interface DayRun {
  dataset: string;
  system: DaySystemId;
  phase: DayPhase;
  writeRate?: number;
  result?: DayResult;
  error?: string;
}

export interface DayReport {
  mode: "quick" | "full";
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string; os: string; memoryGiB: number; loadAvgStart: number[]; loadAvgEnd: number[] };
  batchSize: number;
  tailSeconds: number;
  datasets: DayDataMeta[];
  systems: { id: DaySystemId; label: string }[];
  skipped: Record<string, string>;
  runs: DayRun[];
}

export const dsKey = (m: Pick<DayDataMeta, "n" | "dim">) => `${m.n}x${m.dim}`;
export const COLORS: Record<string, string> = { chromalite: "#d62728", "chromalite-server": "#ff7f0e", chroma: "#1f77b4" };
const MB = 2 ** 20;

const fmt = (v: number | null | undefined, d?: number): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const digits = d ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  return v.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? a / b : undefined);
const fmtX = (r: number | undefined) => (r === undefined ? "—" : `${fmt(r, r >= 10 ? 0 : r >= 1 ? 1 : 2)}×`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

function windowCell(w: WindowFigures | undefined): string {
  if (!w) return "—";
  return `${fmt(w.p50)} / ${fmt(w.p99)} (${w.queries.toLocaleString("en")}, ${w.recall === null ? "—" : fmt(w.recall, 3)})`;
}

/** Until indexed, in seconds; the real Chroma (no status) counts as indexed once its adds return. */
const untilIndexed = (r: DayResult | undefined) => (r ? (r.indexedSeconds ?? (r.indexedNote?.startsWith("n/a") ? r.ackSeconds : null)) : null);

function datasetSection(report: DayReport, ds: DayDataMeta): { body: string; targets: string[] } {
  const key = dsKey(ds);
  const get = (system: string, phase: DayPhase) => report.runs.find((r) => r.dataset === key && r.system === system && r.phase === phase);
  const res = (system: string, phase: DayPhase) => get(system, phase)?.result;
  const out: string[] = [`### ${ds.title}`, ""];
  for (const r of report.runs.filter((x) => x.dataset === key)) {
    const label = report.systems.find((s) => s.id === r.system)?.label ?? r.system;
    if (r.error) out.push(`- **${label}**, ${r.phase}: failed: ${r.error.split("\n")[0]}`);
    if (r.result?.queryErrors) out.push(`- **${label}**, ${r.phase}: ${r.result.queryErrors.toLocaleString("en")} queries failed (left out of the figures): ${r.result.firstQueryError ?? ""}`);
    if (r.result && r.result.ackedRows < ds.n) out.push(`- **${label}**, ${r.phase}: ${r.result.indexedNote ?? "writes did not finish"}`);
  }
  const writeRate = report.runs.find((r) => r.dataset === key && r.phase === "mixed")?.writeRate;
  const chromaDay = untilIndexed(res("chroma", "day"));
  const chromaWholeP50 = res("chroma", "day")?.windows.whole?.p50;

  out.push(
    "",
    table(
      [
        "system",
        "acknowledged rows/s (day)",
        "idle: until indexed s (rows/s)",
        "day: until indexed s (rows/s)",
        "day ÷ idle",
        "indexed rate ÷ Chroma's",
        `mixed (${writeRate ? `${fmt(writeRate, 0)} rows/s` : "—"}): writes s → indexed s (÷ writes)`,
        "max backlog day / mixed",
        "loop max ms idle / day / mixed",
        "peak RSS MB, day (harness data)",
      ],
      report.systems.map(({ id, label }) => {
        const idle = res(id, "idle");
        const day = res(id, "day");
        const mixed = res(id, "mixed");
        const [ti, td, tm] = [untilIndexed(idle), untilIndexed(day), untilIndexed(mixed)];
        const inProc = id === "chromalite";
        const secs = (t: number | null, r: DayResult | undefined) =>
          t === null ? (r ? `not indexed (${fmt(r.endSeconds, 0)} s)` : "—") : `${fmt(t)} (${fmt(ds.n / t, 0)})${r?.indexedSeconds === null ? " ¹" : ""}`;
        return [
          label,
          day ? (day.ackedRows < ds.n ? `stalled at ${day.ackedRows.toLocaleString("en")}` : fmt(ds.n / day.ackSeconds, 0)) : "—",
          secs(ti, idle),
          secs(td, day),
          fmtX(ratio(td, ti)),
          fmtX(ratio(chromaDay, td)),
          mixed
            ? mixed.ackedRows < ds.n
              ? `writes stalled at ${mixed.ackedRows.toLocaleString("en")}`
              : `${fmt(mixed.ackSeconds, 1)} → ${tm === null ? "not indexed" : fmt(tm, 1)} (${fmtX(ratio(tm, mixed.ackSeconds))})`
            : "—",
          `${fmt(day?.maxBacklog, 0)} / ${fmt(mixed?.maxBacklog, 0)}`,
          inProc ? [idle, day, mixed].map((r) => fmt(r?.loopMaxMs, 0)).join(" / ") : "—",
          `${fmt((day?.peakRssBytes ?? NaN) / MB, 0)}${inProc && day?.harnessDataBytes ? ` (${fmt(day.harnessDataBytes / MB, 0)})` : ""}`,
        ];
      }),
    ),
    "",
    "Queries (k = 10), ms: p50 / p99 (queries answered, mean recall@10 against exact answers over the rows acknowledged when each was issued)",
    "",
    table(
      ["system", "day: first add → indexed ¹", "Chroma ÷ this (p50)", "of which during ingest", "last add → indexed", `after (${report.tailSeconds} s)`, "mixed: whole run"],
      report.systems.map(({ id, label }) => {
        const day = res(id, "day");
        return [
          label,
          windowCell(day?.windows.whole),
          fmtX(ratio(chromaWholeP50, day?.windows.whole?.p50)),
          windowCell(day?.windows.ingest),
          windowCell(day?.windows.catchUp),
          windowCell(day?.windows.steady),
          windowCell(res(id, "mixed")?.windows.all),
        ];
      }),
    ),
    "",
  );

  const targets: string[] = [];
  const met = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "met" : "**not met**");
  for (const id of ["chromalite", "chromalite-server"] as const) {
    if (!report.systems.some((s) => s.id === id)) continue;
    const ti = untilIndexed(res(id, "idle"));
    const td = untilIndexed(res(id, "day"));
    const mixed = res(id, "mixed");
    const tm = untilIndexed(mixed);
    const day = res(id, "day");
    const p50x = ratio(chromaWholeP50, day?.windows.whole?.p50);
    const rate = ratio(chromaDay, td);
    const who = `${key} ${id}`;
    targets.push(
      `- ${who}: indexing under queries ≤ 2× idle: ${fmtX(ratio(td, ti))}, ${met(td && ti ? td / ti <= 2 : res(id, "day") ? false : undefined)}; ` +
        `under paced writes + queries ≤ 2× the writes: ${fmtX(ratio(tm, mixed?.ackSeconds))}, ${met(mixed ? (tm !== null ? tm / mixed.ackSeconds <= 2 : false) : undefined)}; ` +
        `p50 from the first add until indexed ≥ 3× lower than Chroma's: ${fmtX(p50x)}, ${met(p50x === undefined ? undefined : p50x >= 3)}; ` +
        `indexed ingest rate ≥ 3× Chroma's: ${fmtX(rate)}, ${met(rate === undefined ? (day ? false : undefined) : rate >= 3)}` +
        (id === "chromalite" ? `; loop max < 50 ms: ${fmt(day?.loopMaxMs, 0)} ms, ${met(day ? day.loopMaxMs < 50 : undefined)}` : ""),
    );
  }

  // Per second, day phase.
  const rows = report.systems.map(({ id }) => res(id, "day")?.seconds ?? []);
  const len = Math.max(0, ...rows.map((r) => r.length));
  if (len > 0) {
    const cell = (s: SecondRow | undefined, inProc: boolean) =>
      !s
        ? ""
        : `${fmt(s.p50)} / ${fmt(s.p99)} · ${s.queries} · ${fmt(s.recall, 3)} · ${s.indexed === null ? "—" : fmt((100 * s.indexed) / ds.n, 0)} / ${fmt((100 * s.acked) / ds.n, 0)}%` +
          (inProc ? ` · ${fmt(s.loopMaxMs, 0)}` : "") +
          (s.errors ? ` · ${s.errors} failed` : "");
    out.push(
      "<details><summary>Per second, day phase: p50 / p99 ms · queries · recall@10 · indexed / acknowledged % of all rows · loop max ms (in process)</summary>",
      "",
      table(
        ["s", ...report.systems.map((s) => s.label)],
        Array.from({ length: len }, (_, i) => [String(i), ...report.systems.map(({ id }, j) => cell(rows[j]![i], id === "chromalite"))]),
      ),
      "",
      "</details>",
      "",
    );
  }
  return { body: out.join("\n"), targets };
}

export function renderDayMarkdown(report: DayReport, svgName: string): string {
  const m = report.machine;
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(" ");
  const busy = Math.max(...m.loadAvgStart, ...m.loadAvgEnd) > 0.5 * m.cpus;
  const lines = [
    `\`${report.command}\` (${report.mode}), ${report.startedAt.slice(0, 16).replace("T", " ")} UTC, ${fmt(report.durationSeconds / 60, 1)} min; ` +
      `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${la(m.loadAvgStart)} at the start, ${la(m.loadAvgEnd)} at the end` +
      (busy ? " (**busy machine: the figures are noisy**)." : "."),
    "",
    "Per system, each in a child process of its own (the servers in a further process): create a collection, add every row in batches of " +
      `${report.batchSize.toLocaleString("en")} (ids, vectors, a short document, metadata), and from the first add one caller in the same process runs ` +
      "back-to-back awaited queries (k = 10, default result fields) until every row is indexed, then " +
      `${report.tailSeconds} s more. *idle*: the same ingest without queries. *mixed*: the same rows written as a steady stream ` +
      "(batches of 100 at half chromalite's idle indexed rate, the same rate for every system) with the same queries. " +
      "*Until indexed* runs from the first add until `getIndexingStatus()` reports every row indexed (vector and full-text indexes, polled every 100 ms); " +
      "¹ the real Chroma does not implement `getIndexingStatus()` locally, and its queries see rows once add returns, so its figure is the time until its last add returned. " +
      "*Loop max*: the worst event-loop delay of the process that runs chromalite (`monitorEventLoopDelay`, plus a timer probe for a loop that does not reach its timers at all). " +
      "*Peak RSS*: VmHWM of the server process, or of the in-process worker with the harness's own copy of the data (in brackets) included. " +
      "The 100-d set stands in for GloVe-100, which `../shared/data` does not have: the same synthetic generator at dimension 100, cosine.",
    "",
    `![query p50 and indexed fraction per second](${svgName})`,
    "",
  ];
  for (const [id, reason] of Object.entries(report.skipped)) lines.push(`- **${id}** skipped: ${reason}`, "");
  const targets: string[] = [];
  for (const ds of report.datasets) {
    const s = datasetSection(report, ds);
    lines.push(s.body);
    targets.push(...s.targets);
  }
  if (targets.length) lines.push("### Targets of issue 10 (items 1, 2, 4)", "", ...targets, "");
  return lines.join("\n");
}

/** Per data set: query p50 per second (log) above the indexed (solid) and acknowledged (dashed) fraction. */
export function renderDaySvg(report: DayReport): string {
  const top: Panel[] = [];
  const bottom: Panel[] = [];
  for (const ds of report.datasets) {
    const runs = report.systems.map((s) => ({ s, r: report.runs.find((x) => x.dataset === dsKey(ds) && x.system === s.id && x.phase === "day")?.result }));
    top.push({
      title: `${ds.n.toLocaleString("en")} × ${ds.dim} (${ds.space}): query p50 per second`,
      xLabel: "seconds since the first add",
      yLabel: "p50 ms (log)",
      log: true,
      series: runs.map(({ s, r }) => ({
        label: s.label,
        color: COLORS[s.id] ?? "#000",
        points: (r?.seconds ?? []).filter((x) => x.p50 !== null).map((x) => [x.s + 0.5, x.p50!] as [number, number]),
      })),
    });
    bottom.push({
      title: `${ds.n.toLocaleString("en")} × ${ds.dim}: indexed (solid) / acknowledged (dashed)`,
      xLabel: "seconds since the first add",
      yLabel: "fraction of all rows",
      yRange: [0, 1],
      series: runs.flatMap(({ s, r }) => [
        {
          label: `${s.label}: indexed`,
          color: COLORS[s.id] ?? "#000",
          points: r && r.seconds.some((x) => x.indexed !== null) ? [[0, 0] as [number, number], ...r.seconds.filter((x) => x.indexed !== null).map((x) => [x.s + 1, x.indexed! / ds.n] as [number, number])] : [],
        },
        { label: `${s.label}: acknowledged`, color: COLORS[s.id] ?? "#000", dashed: true, points: r ? [[0, 0] as [number, number], ...r.seconds.map((x) => [x.s + 1, x.acked / ds.n] as [number, number])] : [] },
      ]),
    });
  }
  const legend = [
    ...report.systems.map((s) => ({ label: s.label, color: COLORS[s.id] ?? "#000" })),
    { label: "dashed: rows acknowledged (add returned)", color: "#555", dashed: true },
  ];
  return lineChart([...top, ...bottom], Math.max(1, report.datasets.length), legend);
}
