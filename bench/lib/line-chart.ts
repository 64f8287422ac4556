/** A small hand-written SVG line chart: a grid of panels, each with lines over a shared x axis. */

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log scale on y (values <= 0 are left out). */
  log?: boolean;
  /** Fixed y range (linear scale). */
  yRange?: [number, number];
  series: Series[];
}

const W = 440;
const H = 250;
const PAD = { l: 58, r: 12, t: 26, b: 38 };

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2))));

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? p * 10;
}

function panel(p: Panel, x0: number, y0: number): string[] {
  const out: string[] = [];
  const pts = p.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!p.log || y > 0));
  out.push(`<text x="${x0 + W / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  out.push(`<rect x="${x0 + PAD.l}" y="${y0 + PAD.t}" width="${iw}" height="${ih}" fill="none" stroke="#999"/>`);
  if (pts.length === 0) {
    out.push(`<text x="${x0 + W / 2}" y="${y0 + H / 2}" text-anchor="middle" fill="#999">no data</text>`);
    return out;
  }
  const xMax = Math.max(1, ...pts.map(([x]) => x));
  const xStep = niceStep(xMax, 6);
  let yLo: number, yHi: number;
  if (p.log) {
    yLo = Math.floor(Math.log10(Math.min(...pts.map(([, y]) => y))));
    yHi = Math.ceil(Math.log10(Math.max(...pts.map(([, y]) => y))));
    if (yHi === yLo) yHi++;
  } else {
    [yLo, yHi] = p.yRange ?? [0, Math.max(...pts.map(([, y]) => y)) * 1.05 || 1];
  }
  const px = (x: number) => x0 + PAD.l + (x / xMax) * iw;
  const py = (y: number) => y0 + PAD.t + ih - (((p.log ? Math.log10(y) : y) - yLo) / (yHi - yLo)) * ih;
  const yTicks = p.log
    ? Array.from({ length: yHi - yLo + 1 }, (_, i) => 10 ** (yLo + i))
    : Array.from({ length: Math.floor((yHi - yLo) / niceStep(yHi - yLo, 5)) + 1 }, (_, i) => yLo + i * niceStep(yHi - yLo, 5));
  for (const y of yTicks) {
    out.push(`<line x1="${x0 + PAD.l}" x2="${x0 + W - PAD.r}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 + PAD.l - 4}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${num(y)}</text>`);
  }
  for (let x = 0; x <= xMax; x += xStep) {
    out.push(`<text x="${px(x).toFixed(1)}" y="${y0 + H - PAD.b + 14}" text-anchor="middle">${num(x)}</text>`);
  }
  out.push(`<text x="${x0 + PAD.l + iw / 2}" y="${y0 + H - 6}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${x0 + 14},${y0 + PAD.t + ih / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  for (const s of p.series) {
    const sp = s.points.filter(([, y]) => Number.isFinite(y) && (!p.log || y > 0));
    if (sp.length === 0) continue;
    const dash = s.dashed ? ` stroke-dasharray="5,3"` : "";
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${dash} points="${sp.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ")}"><title>${esc(s.label)}</title></polyline>`,
    );
  }
  return out;
}

/** Panels laid out in `columns` columns, then a legend of every distinct series label. */
export function lineChart(panels: Panel[], columns: number, legend: { label: string; color: string; dashed?: boolean }[]): string {
  const rows = Math.ceil(panels.length / columns);
  const width = W * columns;
  const per = Math.max(1, Math.floor(width / 420));
  const legendH = 20 * Math.ceil(legend.length / per) + 10;
  const height = H * rows + legendH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  panels.forEach((p, i) => parts.push(...panel(p, (i % columns) * W, Math.floor(i / columns) * H)));
  legend.forEach((l, i) => {
    const x = 16 + (i % per) * 420;
    const y = H * rows + 16 + Math.floor(i / per) * 20;
    const dash = l.dashed ? ` stroke-dasharray="5,3"` : "";
    parts.push(`<line x1="${x}" x2="${x + 24}" y1="${y - 3}" y2="${y - 3}" stroke="${l.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${x + 30}" y="${y + 1}">${esc(l.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
