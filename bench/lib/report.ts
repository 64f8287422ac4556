/**
 * Turns the runs into docs/benchmarks.md (tables, targets, closing note) and an SVG chart of query
 * latency against recall. Every figure is the median over the repetitions; ± is half the range.
 */
import type { DatasetMeta } from "./datasets.js";
import { spread, type Spread } from "./stats.js";
import type { BuildResult, OpenResult, SweepPoint } from "../worker.js";

export interface RunRecord {
  dataset: string;
  system: string;
  rep: number;
  build?: BuildResult;
  open?: OpenResult;
  /** Why the system did not run (not installed, not available here). */
  skipped?: string;
  error?: string;
}

export interface SystemInfo {
  id: string;
  label: string;
  inProcess: boolean;
  settings: Record<string, string>;
}

export interface BenchReport {
  mode: "quick" | "full" | "custom";
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string; os: string; memoryGiB: number; loadAvgStart: number[]; loadAvgEnd: number[] };
  reps: number;
  batchSize: number;
  datasets: DatasetMeta[];
  systems: SystemInfo[];
  runs: RunRecord[];
}

// ------------------------------------------------------------------ aggregation

type Pick = (r: RunRecord) => number | undefined;

function agg(report: BenchReport, dataset: string, system: string, pick: Pick): Spread | undefined {
  return spread(report.runs.filter((r) => r.dataset === dataset && r.system === system).map(pick));
}

const fmtNum = (v: number, digits?: number): string => {
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  return v.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d });
};

/** "1.23 ±4%" (median, half the range across repetitions), or "—". */
function cell(s: Spread | undefined, digits?: number, scale = 1): string {
  if (!s) return "—";
  const m = s.median * scale;
  const pct = s.n > 1 && s.median !== 0 ? Math.round(((s.max - s.min) / 2 / Math.abs(s.median)) * 100) : 0;
  const pm = pct > 0 ? ` ±${pct}%` : "";
  return `${fmtNum(m, digits)}${pm}`;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
const fmtRatio = (r: number | undefined): string => (r === undefined ? "—" : `${fmtNum(r, r >= 10 ? 0 : r >= 1 ? 1 : 2)}×`);
const MB = 1 / (1024 * 1024);

// ------------------------------------------------------------------ tables

interface Row {
  sys: SystemInfo;
  m: (pick: Pick) => Spread | undefined;
}

function rowsFor(report: BenchReport, ds: DatasetMeta): Row[] {
  return report.systems
    .filter((s) => report.runs.some((r) => r.dataset === ds.name && r.system === s.id && (r.build || r.open)))
    .map((sys) => ({ sys, m: (pick: Pick) => agg(report, ds.name, sys.id, pick) }));
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

function datasetSection(report: BenchReport, ds: DatasetMeta): string {
  const rows = rowsFor(report, ds);
  const med = (id: string, pick: Pick) => agg(report, ds.name, id, pick)?.median;
  const chromaP50 = (pick: Pick) => med("chroma", pick);
  const out: string[] = [`## ${ds.title}`, ""];
  const skipped = report.runs.filter((r) => r.dataset === ds.name && (r.skipped || r.error));
  for (const r of skipped) {
    out.push(`- **${r.system}** ${r.skipped ? "skipped" : "failed"} (rep ${r.rep}): ${(r.skipped ?? r.error ?? "").split("\n")[0]}`);
  }
  if (skipped.length) out.push("");

  const q = (key: "query" | "f10" | "f1", f: "p50" | "p99" | "recall"): Pick => (r) => r.build?.[key][f];
  out.push(`### Queries, k = ${ds.k} (latency in ms; ratios on the p50)`, "");
  out.push(
    table(
      ["system", "p50", "p99", "recall@10", "Chroma ÷ this", "this ÷ hnswlib", "10% filter p50 / p99", "recall", "Chroma ÷ this", "1% filter p50 / p99", "recall", "Chroma ÷ this"],
      rows.map(({ sys, m }) => {
        const p50 = m(q("query", "p50"))?.median;
        return [
          sys.label,
          cell(m(q("query", "p50"))),
          cell(m(q("query", "p99"))),
          cell(m(q("query", "recall")), 3),
          fmtRatio(ratio(chromaP50(q("query", "p50")), p50)),
          fmtRatio(ratio(p50, med("hnswlib", q("query", "p50")))),
          `${cell(m(q("f10", "p50")))} / ${cell(m(q("f10", "p99")))}`,
          cell(m(q("f10", "recall")), 3),
          fmtRatio(ratio(chromaP50(q("f10", "p50")), m(q("f10", "p50"))?.median)),
          `${cell(m(q("f1", "p50")))} / ${cell(m(q("f1", "p99")))}`,
          cell(m(q("f1", "recall")), 3),
          fmtRatio(ratio(chromaP50(q("f1", "p50")), m(q("f1", "p50"))?.median)),
        ];
      }),
    ),
    "",
  );

  const rate = (r: RunRecord) => (r.build ? ds.n / r.build.ingest.ackSeconds : undefined);
  const rateIndexed = (r: RunRecord) => (r.build ? ds.n / r.build.ingest.indexedSeconds : undefined);
  out.push(`### Ingest (batches of ${report.batchSize.toLocaleString("en")}), open, close, footprint`, "");
  out.push(
    table(
      ["system", "ingest rows/s (acknowledged)", "this ÷ Chroma", "until indexed: s (rows/s)", "loop max, ingest ms", "open → first answer ms", "loop max, open ms", "close ms", "peak RSS MB", "disk MB"],
      rows.map(({ sys, m }) => [
        sys.label,
        cell(m(rate), 0),
        fmtRatio(ratio(m(rate)?.median, med("chroma", rate))),
        `${cell(m((r) => r.build?.ingest.indexedSeconds), 2)} (${cell(m(rateIndexed), 0)})`,
        sys.inProcess ? cell(m((r) => r.build?.ingest.loopMaxMs), 1) : "—",
        cell(m((r) => r.open?.readyMs), 0),
        sys.inProcess ? cell(m((r) => r.open?.loopMaxMs), 1) : "—",
        cell(m((r) => r.build?.closeMs), 0),
        cell(m((r) => r.build?.peakRssBytes), 0, MB),
        cell(m((r) => r.build?.diskBytes), 1, MB),
      ]),
    ),
    "",
  );

  const withGets = rows.filter(({ m }) => m((r) => r.build?.getById?.p50));
  if (withGets.length) {
    out.push("### Get (latency in ms)", "");
    out.push(
      table(
        ["system", "by id p50 / p99", "by where (1%, all matches) p50 / p99", "rows returned", "query ids only p50 / p99"],
        withGets.map(({ sys, m }) => [
          sys.label,
          `${cell(m((r) => r.build?.getById?.p50))} / ${cell(m((r) => r.build?.getById?.p99))}`,
          `${cell(m((r) => r.build?.getWhere?.p50))} / ${cell(m((r) => r.build?.getWhere?.p99))}`,
          cell(m((r) => r.build?.getWhere?.rows), 0),
          `${cell(m((r) => r.build?.queryIdsOnly?.p50))} / ${cell(m((r) => r.build?.queryIdsOnly?.p99))}`,
        ]),
      ),
      "",
    );
  }

  const sweeps = rows.map(({ sys }) => ({ sys, points: sweepOf(report, ds.name, sys.id) }));
  if (sweeps.some((s) => s.points.length > 1)) {
    out.push("### At equal recall (from the ef sweep: the fastest setting that reaches the recall)", "");
    const best = (points: SweepPoint[], min: number) => {
      const ok = points.filter((p) => p.recall >= min).sort((a, b) => a.p50 - b.p50)[0];
      return ok ? `${fmtNum(ok.p50)} ms${ok.ef === null ? "" : ` (ef ${ok.ef})`}` : "not reached";
    };
    out.push(
      table(
        ["system", "recall ≥ 0.95: p50", "recall ≥ 0.99: p50", "sweep (ef: recall, p50 ms)"],
        sweeps.map(({ sys, points }) => [
          sys.label,
          best(points, 0.95),
          best(points, 0.99),
          points.map((p) => `${p.ef ?? "exact"}: ${p.recall.toFixed(3)}, ${fmtNum(p.p50)}`).join("; "),
        ]),
      ),
      "",
    );
  }

  const lag = report.runs.find((r) => r.dataset === ds.name && r.build?.ingest.indexLagNote)?.build?.ingest.indexLagNote;
  if (lag) out.push(`Index lag of the real Chroma: ${lag}.`, "");
  return out.join("\n");
}

/** The sweep points of a system, each figure the median over repetitions. */
export function sweepOf(report: BenchReport, dataset: string, system: string): SweepPoint[] {
  const runs = report.runs.filter((r) => r.dataset === dataset && r.system === system && r.build);
  const efs = [...new Set(runs.flatMap((r) => r.build!.sweep.map((p) => p.ef)))];
  return efs.map((ef) => {
    const pts = runs.map((r) => r.build!.sweep.find((p) => p.ef === ef));
    return {
      ef,
      p50: spread(pts.map((p) => p?.p50))!.median,
      p99: spread(pts.map((p) => p?.p99))!.median,
      recall: spread(pts.map((p) => p?.recall))!.median,
    };
  });
}

// ------------------------------------------------------------------ targets

interface Target {
  name: string;
  goal: string;
  value: number | undefined;
  shown: string;
  met: boolean | undefined;
  /** How much it is missed by, and why, when it is. */
  miss: string;
}

function targets(report: BenchReport, ds: DatasetMeta): Target[] {
  const med = (id: string, pick: Pick) => agg(report, ds.name, id, pick)?.median;
  const p = (key: "query" | "f10" | "f1", f: "p50" | "recall"): Pick => (r) => r.build?.[key][f];
  const rate: Pick = (r) => (r.build ? ds.n / r.build.ingest.ackSeconds : undefined);
  const rateIndexed: Pick = (r) => (r.build ? ds.n / r.build.ingest.indexedSeconds : undefined);
  const ours = (pick: Pick) => med("chromalite", pick);
  const out: Target[] = [];
  const add = (name: string, goal: string, value: number | undefined, shown: string, pass: (v: number) => boolean, miss: (v: number) => string) =>
    out.push({ name, goal, value, shown: value === undefined ? "not measured" : shown, met: value === undefined ? undefined : pass(value), miss: value === undefined ? "" : miss(value) });

  const ms = (v: number | undefined) => `${fmtNum(v ?? NaN)} ms`;
  const q = ratio(med("chroma", p("query", "p50")), ours(p("query", "p50")));
  add("query p50, in process vs the real Chroma", "≥ 10× lower", q, fmtRatio(q), (v) => v >= 10, (v) => {
    const chroma = med("chroma", p("query", "p50"));
    return (
      `${fmtRatio(v)} instead of 10×: chromalite ${ms(ours(p("query", "p50")))} against Chroma ${ms(chroma)}; 10× needs ≤ ${ms(chroma === undefined ? undefined : chroma / 10)}. ` +
      `The HNSW search alone (raw hnswlib, same parameters) takes ${ms(med("hnswlib", p("query", "p50")))}, ids only through chromalite ${ms(ours((r) => r.build?.queryIdsOnly?.p50))}: ` +
      "the rest is reading the ten rows' documents and metadata from SQLite and building the result"
    );
  });
  const f = ratio(med("chroma", p("f10", "p50")), ours(p("f10", "p50")));
  add("filtered (10%) query p50 vs the real Chroma", "≥ 15× lower", f, fmtRatio(f), (v) => v >= 15, (v) =>
    `${fmtRatio(v)} instead of 15× (chromalite ${ms(ours(p("f10", "p50")))}, Chroma ${ms(med("chroma", p("f10", "p50")))}, raw hnswlib with a native filter callback ` +
    `${ms(med("hnswlib", p("f10", "p50")))}): the filter is resolved in SQLite to a list of rowids (${Math.round(ds.n / 10).toLocaleString("en")} here), ` +
    "turned into a Set, and HNSW calls a JS callback for every node it visits");
  const ing = ratio(ours(rate), med("chroma", rate));
  add("ingest rate vs the real Chroma (acknowledged)", "≥ 3×", ing, fmtRatio(ing), (v) => v >= 3, (v) =>
    `${fmtRatio(v)} instead of 3× (${fmtNum(ours(rate) ?? NaN, 0)} vs ${fmtNum(med("chroma", rate) ?? NaN, 0)} rows/s); until fully indexed ` +
    `${fmtNum(ours(rateIndexed) ?? NaN, 0)} rows/s: the write validates, encodes and commits every record to SQLite before it is acknowledged`);
  const rec = ours(p("query", "recall"));
  const rawRecall = med("hnswlib", p("query", "recall"));
  const reach = sweepOf(report, ds.name, "chromalite")
    .filter((pt) => pt.ef !== null && pt.recall >= 0.99)
    .sort((a, b) => a.ef! - b.ef!)[0];
  add("recall@10, in process (ef_search 100)", "≥ 0.99", rec, rec === undefined ? "" : rec.toFixed(3), (v) => v >= 0.99, (v) =>
    `${v.toFixed(3)}, ${(0.99 - v).toFixed(3)} short: that is HNSW with M 16 / ef_construction 100 / ef_search 100 on this data` +
    (rawRecall === undefined ? "" : ` (the raw hnswlib with the same parameters reaches ${rawRecall.toFixed(3)})`) +
    (reach ? `; ef_search ${reach.ef} gives ${reach.recall.toFixed(3)} at ${fmtNum(reach.p50)} ms p50 (see the sweep)` : "; no ef of the sweep reached 0.99"));
  // Same graph, same width, same queries, in turn in one process: chromalite's whole query against
  // a direct search of the graph it saved. The hnswlib system's own index is another graph at ef 100.
  const sameFull = ours((r) => r.open?.sameIndex?.full.p50);
  const sameRaw = ours((r) => r.open?.sameIndex?.raw.p50);
  const over = ours((r) => (r.open?.sameIndex ? r.open.sameIndex.full.p50 / r.open.sameIndex.raw.p50 : undefined));
  const sameIds = ours((r) => r.open?.sameIndex?.idsOnly?.p50);
  add("overhead over a direct search of the same graph (query p50)", "≤ 1.3×", over, fmtRatio(over), (v) => v <= 1.3, (v) => {
    const full = sameFull ?? NaN;
    const raw = sameRaw ?? NaN;
    const ids = sameIds ?? NaN;
    return (
      `${fmtRatio(v)} instead of 1.3×: chromalite ${ms(full)} against ${ms(raw)} for its own saved graph searched directly at the same width ` +
      `(labels only), query by query in turn; 1.3× needs ≤ ${ms(raw * 1.3)}. Of the ${ms(full - raw)} extra, about ${ms(full - ids)} is reading and ` +
      `decoding the ten rows' documents and metadata (the ids-only query, ${ms(ids)}, shows it) and ${ms(ids - raw)} the call path (validation, ` +
      "the operation queue and read lock, the rowid → id lookup in SQLite, building the result)"
    );
  });
  const open = ours((r) => r.open?.readyMs);
  add(`open of a persisted ${ds.n.toLocaleString("en")}-row collection (to first answer)`, "< 1 s", open, `${fmtNum(open ?? NaN, 0)} ms`, (v) => v < 1000, (v) =>
    `${fmtNum(v, 0)} ms, ${fmtNum(v - 1000, 0)} ms over: open reads and verifies the index files (size + CRC-32) and loads them into hnswlib, then catches up from SQLite's log`);
  const loop = spread([ours((r) => r.build?.ingest.loopMaxMs), ours((r) => r.open?.loopMaxMs)])?.max;
  add("worst event-loop delay, ingest and open", "< 50 ms", loop, `${fmtNum(loop ?? NaN, 1)} ms`, (v) => v < 50, (v) =>
    `${fmtNum(v, 1)} ms, ${fmtNum(v - 50, 1)} ms over (ingest ${fmtNum(ours((r) => r.build?.ingest.loopMaxMs) ?? NaN, 1)} ms, open ${fmtNum(ours((r) => r.open?.loopMaxMs) ?? NaN, 1)} ms): ` +
    "some synchronous step (validation and encoding of a 1,000-row batch, an SQLite transaction, an HNSW slice) held the loop longer than its slice; " +
    "on a loaded machine the figure also includes time the process waited for a CPU, so check the load average above before reading it as a defect");
  return out;
}

// ------------------------------------------------------------------ document

export function renderMarkdown(report: BenchReport, chartFile: string): string {
  const m = report.machine;
  const lines: string[] = [
    "# Benchmarks",
    "",
    `Generated by \`${report.command}\` (${report.mode} mode) on ${report.startedAt}, in ${fmtNum(report.durationSeconds / 60, 1)} min. ` +
      "How it is measured, and how to re-run it: [bench/README.md](../bench/README.md).",
    "",
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ` +
      `Load average at start ${m.loadAvgStart.map((x) => x.toFixed(2)).join(" / ")}, at end ${m.loadAvgEnd.map((x) => x.toFixed(2)).join(" / ")} ` +
      "(anything above ~0.5 on 2 cores means other work shared the machine and the figures are noisy).",
    "",
    report.reps > 1
      ? `Each figure is the median of ${report.reps} independent runs (fresh process, fresh data folder); ±x% is half the range across them.`
      : "**Single run**: no spread is known; treat the figures as rough.",
    "All systems see the same data in the same run, and every query is measured only after the system reports that indexing has finished.",
    "",
    `![p50 query latency against recall@10](${chartFile})`,
    "",
  ];
  const main = report.datasets.find((d) => d.name === "synthetic") ?? report.datasets[0];
  if (main) {
    const ts = targets(report, main);
    lines.push(`## Targets (${main.title})`, "");
    lines.push(table(["target", "goal", "measured", "met"], ts.map((t) => [t.name, t.goal, t.shown, t.met === undefined ? "—" : t.met ? "yes" : "**no**"])), "");
    if (main.n < 100_000) lines.push(`These targets are set for 100k × 384; this run used ${main.n.toLocaleString("en")} rows, so they are indicative only.`, "");
  }
  for (const ds of report.datasets) lines.push(datasetSection(report, ds));

  lines.push("## Settings", "");
  for (const ds of report.datasets) {
    lines.push(`**${ds.title}**`, "");
    for (const s of report.systems) if (s.settings[ds.name]) lines.push(`- ${s.label}: ${s.settings[ds.name]}`);
    lines.push("");
  }

  if (main) {
    const missed = targets(report, main).filter((t) => t.met === false);
    const unmeasured = targets(report, main).filter((t) => t.met === undefined);
    lines.push("## Closing note", "");
    const load = Math.max(...m.loadAvgStart, ...m.loadAvgEnd);
    if (load > 1) {
      lines.push(
        `This run shared the machine with other work (load average up to ${load.toFixed(1)} on ${m.cpus} cores), which slows every system and inflates ` +
          "tail latencies and event-loop delays; ratios between systems measured in the same run hold up better than absolute figures. Re-run on a quiet machine before quoting them.",
        "",
      );
    }
    if (missed.length === 0 && unmeasured.length === 0) lines.push("Every target was met in this run.");
    for (const t of missed) lines.push(`- **${t.name}** missed: ${t.miss}.`);
    for (const t of unmeasured) lines.push(`- **${t.name}**: not measured in this run (a system it compares with did not run).`);
    lines.push("");
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ chart

const COLORS: Record<string, string> = {
  chromalite: "#d62728",
  "chromalite-server": "#ff7f0e",
  chroma: "#1f77b4",
  hnswlib: "#2ca02c",
  exact: "#7f7f7f",
  lancedb: "#9467bd",
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** One panel per dataset: p50 latency (log scale) against recall@10, one line per system. */
export function renderSvg(report: BenchReport): string {
  const W = 420;
  const H = 320;
  const pad = { l: 56, r: 12, t: 28, b: 42 };
  const legendH = 22 * Math.ceil(report.systems.length / 3) + 8;
  const width = W * report.datasets.length;
  const height = H + legendH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  report.datasets.forEach((ds, di) => {
    const x0 = di * W;
    const series = report.systems
      .map((s) => ({ s, pts: sweepOf(report, ds.name, s.id).filter((p) => Number.isFinite(p.p50) && p.p50 > 0) }))
      .filter((x) => x.pts.length > 0);
    let all = series.flatMap((x) => x.pts);
    if (all.length === 0) return;
    // The region that matters is high recall: points below 0.8 are left out.
    const FLOOR = 0.8;
    const clipped = all.some((p) => p.recall < FLOOR);
    for (const x of series) x.pts = x.pts.filter((p) => p.recall >= FLOOR);
    all = series.flatMap((x) => x.pts);
    if (all.length === 0) return;
    const rMin = Math.max(FLOOR, Math.min(0.9, Math.floor(Math.min(...all.map((p) => p.recall)) * 20) / 20));
    const lo = Math.floor(Math.log10(Math.min(...all.map((p) => p.p50))));
    const hi = Math.ceil(Math.log10(Math.max(...all.map((p) => p.p50))));
    const top = hi === lo ? hi + 1 : hi;
    const px = (r: number) => x0 + pad.l + ((r - rMin) / (1 - rMin || 1)) * (W - pad.l - pad.r);
    const py = (ms: number) => pad.t + ((top - Math.log10(ms)) / (top - lo)) * (H - pad.t - pad.b);
    parts.push(`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(`${ds.name} (${ds.n.toLocaleString("en")} × ${ds.dim}, ${ds.space})`)}</text>`);
    // Axes and grid.
    for (let e = lo; e <= top; e++) {
      const y = py(10 ** e);
      parts.push(`<line x1="${x0 + pad.l}" x2="${x0 + W - pad.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
      parts.push(`<text x="${x0 + pad.l - 4}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`);
    }
    const steps = Math.round((1 - rMin) / 0.05);
    for (let i = 0; i <= steps; i++) {
      const r = rMin + i * 0.05;
      const x = px(r);
      parts.push(`<line x1="${x}" x2="${x}" y1="${pad.t}" y2="${H - pad.b}" stroke="#eee"/>`);
      parts.push(`<text x="${x}" y="${H - pad.b + 14}" text-anchor="middle">${r.toFixed(2)}</text>`);
    }
    parts.push(`<rect x="${x0 + pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${x0 + pad.l + (W - pad.l - pad.r) / 2}" y="${H - 8}" text-anchor="middle">recall@10${clipped ? ` (points below ${FLOOR.toFixed(2)} not shown)` : ""}</text>`);
    parts.push(`<text transform="translate(${x0 + 14},${pad.t + (H - pad.t - pad.b) / 2}) rotate(-90)" text-anchor="middle">query p50, ms (log)</text>`);
    for (const { s, pts } of series) {
      const color = COLORS[s.id] ?? "#000";
      // In ef order: the curve a user walks by raising ef_search.
      const sorted = [...pts].sort((a, b) => (a.ef ?? Infinity) - (b.ef ?? Infinity));
      if (sorted.length > 1) {
        parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${sorted.map((p) => `${px(p.recall).toFixed(1)},${py(p.p50).toFixed(1)}`).join(" ")}"/>`);
      }
      for (const p of sorted) {
        parts.push(
          `<circle cx="${px(p.recall).toFixed(1)}" cy="${py(p.p50).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.label}: ef ${p.ef ?? "—"}, recall ${p.recall.toFixed(3)}, p50 ${p.p50.toFixed(3)} ms`)}</title></circle>`,
        );
      }
    }
  });
  report.systems.forEach((s, i) => {
    const x = 16 + (i % 3) * 300;
    const y = H + 14 + Math.floor(i / 3) * 22;
    parts.push(`<rect x="${x}" y="${y - 8}" width="12" height="12" fill="${COLORS[s.id] ?? "#000"}"/>`);
    parts.push(`<text x="${x + 18}" y="${y + 2}">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
