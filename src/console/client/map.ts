/**
 * The map: a 2D projection of a sample of the collection's embeddings, a Chart.js scatter plot
 * coloured by a metadata key; hovering shows a record's document, clicking opens it. PCA (computed
 * by the server on up to 20,000 records) is drawn at once; UMAP (up to 5,000 records) runs in a Web
 * Worker.
 */
import type { Chart as ChartClass } from "chart.js";
import { call, consolePath, errorText, type CollectionJson } from "./api.js";
import { fill, h, short } from "./dom.js";

type ChartInstance = ChartClass<"scatter", { x: number; y: number }[]>;

interface MapData {
  dimension?: number;
  vectors?: string;
  total: number;
  sampled: number;
  ms: { read: number; pca: number };
  explained: [number, number];
  keys: string[];
  ids: string[];
  x: number[];
  y: number[];
  documents: (string | null)[];
  metadatas: (Record<string, unknown> | null)[];
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const OTHER = "#c8c8c8";
const W = 900;
const H = 560;

/** Chart.js's browser build, loaded on first use (the other views never pay for it). */
declare const Chart: typeof ChartClass;
let chartLoaded: Promise<void> | undefined;
function loadChart(): Promise<void> {
  return (chartLoaded ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/console/assets/chart.umd.min.js";
    script.onload = () => resolve();
    script.onerror = () => {
      chartLoaded = undefined;
      reject(new Error("could not load the chart library (/console/assets/chart.umd.min.js)"));
    };
    document.head.append(script);
  }));
}

function colours(data: MapData, key: string): { of: (i: number) => string; legend: [string, string][] } {
  if (key === "") return { of: () => PALETTE[0]!, legend: [] };
  const values = data.metadatas.map((m) => m?.[key]);
  const numbers = values.filter((v): v is number => typeof v === "number");
  if (numbers.length > 0 && numbers.length === values.filter((v) => v !== undefined && v !== null).length && new Set(numbers).size > PALETTE.length) {
    const lo = Math.min(...numbers);
    const hi = Math.max(...numbers);
    const of = (i: number) => {
      const v = values[i];
      if (typeof v !== "number") return OTHER;
      const t = hi === lo ? 0.5 : (v - lo) / (hi - lo);
      return `hsl(${Math.round(240 - 240 * t)}, 70%, 45%)`;
    };
    return { of, legend: [[`${lo}`, "hsl(240, 70%, 45%)"], [`${hi}`, "hsl(0, 70%, 45%)"]] };
  }
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined && v !== null) counts.set(JSON.stringify(v), (counts.get(JSON.stringify(v)) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, PALETTE.length).map(([v]) => v);
  const index = new Map(top.map((v, i) => [v, i]));
  return {
    of: (i: number) => {
      const v = values[i];
      const at = v === undefined || v === null ? undefined : index.get(JSON.stringify(v));
      return at === undefined ? OTHER : PALETTE[at]!;
    },
    legend: [...top.map((v, i): [string, string] => [v, PALETTE[i]!]), ["other / missing", OTHER]],
  };
}

function bounds(values: number[]): { min: number; max: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return { min: -1, max: 1 };
  const pad = (hi - lo) * 0.03 || 1;
  return { min: lo - pad, max: hi + pad };
}

function decodeVectors(b64: string): Float32Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

export function renderMap(root: HTMLElement, c: CollectionJson, openRecord: (id: string) => void): void {
  const method = h(
    "select",
    { "data-testid": "map-method", "aria-label": "Projection" },
    h("option", { value: "pca" }, "PCA (up to 20,000 records)"),
    h("option", { value: "umap" }, "UMAP in a Web Worker (up to 5,000 records)"),
  );
  const status = h("p", { class: "muted", "data-testid": "map-status" });
  const plot = h("div", {});
  let worker: Worker | undefined;
  let chart: ChartInstance | undefined;
  fill(root, h("p", {}, "Projection ", method), status, plot);
  method.addEventListener("change", () => load(method.value));
  load("pca");

  function load(kind: string): void {
    worker?.terminate();
    worker = undefined;
    chart?.destroy();
    chart = undefined;
    fill(plot);
    status.removeAttribute("data-points");
    status.dataset.method = "";
    status.textContent = kind === "pca" ? "Computing the projection…" : "Reading the sample…";
    const started = performance.now();
    Promise.all([call<MapData>("GET", consolePath(c, kind === "umap" ? "map?vectors=1" : "map")), loadChart()]).then(
      ([data]) => {
        const sample = `${data.sampled.toLocaleString("en")} of ${data.total.toLocaleString("en")} records${data.sampled < data.total ? " (evenly spaced runs in insertion order)" : ""}`;
        if (kind === "pca") {
          const ms = performance.now() - started;
          draw(
            data,
            data.x,
            data.y,
            "pca",
            `PCA of ${sample}; the two axes explain ${(data.explained[0] * 100).toFixed(1)}% and ${(data.explained[1] * 100).toFixed(1)}% of the variance; ${Math.round(ms)} ms (reading ${data.ms.read} ms, PCA ${data.ms.pca} ms).`,
          );
          return;
        }
        const w = new Worker("/console/assets/umap-worker.js");
        worker = w;
        status.textContent = `UMAP of ${sample}: running in a Web Worker…`;
        w.onmessage = (e: MessageEvent) => {
          const m = e.data as { progress?: number; x?: number[]; y?: number[]; error?: string };
          if (m.error !== undefined) status.textContent = `UMAP failed: ${m.error}`;
          else if (m.progress !== undefined) status.textContent = `UMAP of ${sample}: ${Math.round(m.progress * 100)}%…`;
          else if (m.x && m.y) {
            w.terminate();
            draw(data, m.x, m.y, "umap", `UMAP of ${sample} (15 neighbours, min_dist 0.1, ${c.configuration_json.hnsw.space === "l2" ? "euclidean" : "cosine"}); ${Math.round(performance.now() - started)} ms in the browser.`);
          }
        };
        w.onerror = (e) => (status.textContent = `UMAP failed: ${e.message}`);
        const vectors = decodeVectors(data.vectors ?? "");
        w.postMessage({ vectors, dimension: data.dimension ?? 0, space: c.configuration_json.hnsw.space }, [vectors.buffer]);
      },
      (err: unknown) => {
        status.textContent = "";
        fill(plot, h("p", { class: "error" }, errorText(err)));
      },
    );
  }

  function draw(data: MapData, xs: number[], ys: number[], kind: string, text: string): void {
    chart?.destroy();
    const canvas = h("canvas", { width: W, height: H, "data-testid": "map-canvas", style: "background:#fff;border:1px solid #dde" });
    const tooltip = h("div", { class: "tooltip", "data-testid": "map-tooltip", style: "display:none" });
    const key = h("select", { "data-testid": "map-color", "aria-label": "Colour by" }, h("option", { value: "" }, "(none)"), data.keys.map((k) => h("option", { value: k }, k)));
    const legend = h("div", { class: "legend", "data-testid": "map-legend" });
    const points = xs.map((x, i) => ({ x, y: ys[i]! }));
    const radius = points.length > 5000 ? 1.5 : 3;
    const paint = () => {
      const col = colours(data, key.value);
      fill(legend, col.legend.map(([label, colour]) => h("span", {}, h("span", { class: "swatch", style: `background:${colour}` }), short(label, 40))));
      return points.map((_, i) => col.of(i));
    };
    status.textContent = text;
    fill(plot, h("p", {}, "Colour by ", key), legend, canvas, tooltip);
    const c = new Chart(canvas, {
      type: "scatter",
      data: { datasets: [{ data: points, pointBackgroundColor: paint(), pointBorderWidth: 0, pointRadius: radius, pointHoverRadius: radius + 2, pointHitRadius: 4 }] },
      options: {
        // Drawn once, as given: no animation, no parsing (the points are {x, y} already), fixed size.
        // (Not `normalized`: that promises points sorted by x, which a projection's are not.)
        animation: false,
        parsing: false,
        responsive: false,
        events: ["mousemove", "mouseout", "click"],
        interaction: { mode: "nearest", intersect: true },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        // Bounds from the data itself, with a margin, so every point is inside the plot.
        scales: { x: { type: "linear", ...bounds(xs), ticks: { maxTicksLimit: 8 } }, y: { type: "linear", ...bounds(ys), ticks: { maxTicksLimit: 8 } } },
      },
    });
    chart = c;
    // The record under the pointer, as Chart.js finds it (within a point's hit radius).
    const under = (e: MouseEvent): number | undefined => c.getElementsAtEventForMode(e, "nearest", { intersect: true }, false)[0]?.index;
    // The tooltip is an element of the page (text only), so a document is never drawn as markup.
    canvas.addEventListener("mousemove", (e) => {
      const i = under(e);
      if (i === undefined) {
        tooltip.style.display = "none";
        return;
      }
      tooltip.textContent = `${data.ids[i]!}\n${data.documents[i] ?? "(no document)"}${key.value ? `\n${key.value}: ${JSON.stringify(data.metadatas[i]?.[key.value] ?? null)}` : ""}`;
      tooltip.style.display = "block";
      tooltip.style.left = `${e.pageX + 12}px`;
      tooltip.style.top = `${e.pageY + 12}px`;
    });
    canvas.addEventListener("click", (e) => {
      const i = under(e);
      if (i !== undefined) openRecord(data.ids[i]!);
    });
    canvas.addEventListener("mouseleave", () => (tooltip.style.display = "none"));
    key.addEventListener("change", () => {
      c.data.datasets[0]!.pointBackgroundColor = paint();
      c.update("none");
    });
    status.dataset.points = String(xs.length);
    status.dataset.method = kind;
  }
}
