/**
 * The console's first view on a 100k-record collection (issue 15: "interactive in under 1 s"),
 * measured in Debian's Chromium through Playwright: for each run a fresh browser (no cache), then
 * the time from navigation start to the view drawn and usable (`body[data-ready=true]`), for the
 * catalog (`/`) and for the collection's records view, with the page's own resource timings so the
 * slow part shows. Run 1 meets a server that has just opened the folder (cold); the rest are warm.
 * N records (default 100,000) of DIM dimensions (default 384) are written in process first.
 * Run: npx tsx bench/console-first-view.ts   (KEEP=/some/dir writes the folder once and reuses it;
 * RUNS=5 by default)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { PersistentClient } from "../src/index.js";
import { startServer } from "../src/server/index.js";
import { clustered, documentFor, metadataFor } from "./lib/data.js";

const N = Number(process.env.N ?? 100_000);
const DIM = Number(process.env.DIM ?? 384);
const RUNS = Number(process.env.RUNS ?? 5);
const TOKEN = "bench";
const keep = process.env.KEEP;
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "bench-console-first-"));
const reuse = keep !== undefined && fs.existsSync(path.join(keep, "chroma.sqlite3"));

const READY_CLOCK = `new MutationObserver((_, o) => {
  if (document.body?.dataset.ready === "true") { window.__readyAt = performance.now(); o.disconnect(); }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });`;

interface Sample {
  /** In the page: navigation start to ready. */
  total: number;
  /** In Node: page.goto called to the ready mark seen (adds the renderer's start and Playwright's round trips). */
  wall: number;
  resources: { name: string; start: number; end: number }[];
}

try {
  if (!reuse) await write();
  await measure();
} finally {
  if (keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
}

async function write(): Promise<void> {
  const started = performance.now();
  const w = clustered(N, DIM, 1);
  const client = new PersistentClient({ path: dir, timeout: 0 });
  const c = await client.createCollection({ name: "bench" });
  for (let i = 0; i < N; i += 1000) {
    const ids = [];
    const embeddings = [];
    const documents = [];
    const metadatas = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      ids.push(`id${j}`);
      embeddings.push(w.vectors[j]!);
      documents.push(documentFor(j));
      metadatas.push(metadataFor(j, w.categories[j]!));
    }
    await c.add({ ids, embeddings, documents, metadatas });
  }
  await c.waitForIndexing();
  await client.close();
  console.log(`${N} records of ${DIM} dimensions written and indexed in ${Math.round((performance.now() - started) / 1000)} s`);
}

/** Navigation start to the view being ready, with the resources the page fetched on the way. */
async function timed(page: Page, url: string): Promise<Sample> {
  const started = performance.now();
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  const wall = performance.now() - started;
  const total = await page.evaluate<number>("window.__readyAt");
  const resources = await page.evaluate<{ name: string; start: number; end: number }[]>(
    `performance.getEntriesByType("resource").map((e) => ({ name: new URL(e.name).pathname.replace(/.*\\//, ""), start: Math.round(e.startTime), end: Math.round(e.responseEnd) }))`,
  );
  return { total, wall, resources };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(): Promise<void> {
  const server = await startServer({ path: dir, port: 0, authToken: TOKEN });
  const id = (await (await fetch(`${server.url}/api/v2/tenants/default_tenant/databases/default_database/collections/bench`, { headers: { "x-chroma-token": TOKEN } })).json()) as { id: string };
  const views = [
    { label: "catalog", url: `${server.url}/#token=${TOKEN}`, ready: "[data-testid=collection-row]" },
    { label: "records (first page of 25)", url: `${server.url}/#/c/${id.id}/records`, ready: "[data-testid=record-row]" },
  ];
  const totals = new Map<string, number[]>(views.map((v) => [v.label, []]));
  const walls = new Map<string, number[]>(views.map((v) => [v.label, []]));
  try {
    for (let run = 1; run <= RUNS; run++) {
      const launched = performance.now();
      const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
      const launch = Math.round(performance.now() - launched);
      try {
        for (const v of views) {
          const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
          // The records view is opened directly, its token already in the tab (as after a sign-in).
          await context.addInitScript(`sessionStorage.setItem("chromalite.console.token", ${JSON.stringify(TOKEN)})`);
          // The clock when the page marks itself ready (it does so right after drawing the view).
          await context.addInitScript(READY_CLOCK);
          const page = await context.newPage();
          page.setDefaultTimeout(60_000);
          const s = await timed(page, v.url);
          if ((await page.locator(v.ready).count()) === 0) throw new Error(`${v.label}: ready, but ${v.ready} is not drawn`);
          await context.close();
          totals.get(v.label)!.push(s.total);
          walls.get(v.label)!.push(s.wall);
          const waterfall = s.resources.map((r) => `${r.name} ${r.start}-${r.end}`).join(", ");
          console.log(`run ${run}${run === 1 ? " (cold server)" : ""}, ${v.label}: ${Math.round(s.total)} ms in the page, ${Math.round(s.wall)} ms from goto (browser launch ${launch} ms, not counted)\n  ${waterfall}`);
        }
      } finally {
        await browser.close();
      }
    }
    const summary = (xs: number[]) => {
      const warm = xs.slice(1);
      const r = (x: number) => Math.round(x);
      return `cold ${r(xs[0]!)} ms; warm median ${warm.length ? r(median(warm)) : "-"} ms (min ${warm.length ? r(Math.min(...warm)) : "-"}, max ${warm.length ? r(Math.max(...warm)) : "-"}, ${warm.length} runs)`;
    };
    for (const [label, xs] of totals) console.log(`${label}, in the page: ${summary(xs)}; from goto: ${summary(walls.get(label)!)}`);
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} (2 cores, shared)`);
  } finally {
    await server.close();
  }
}
