/**
 * The console's first views on a large collection, in Chromium (issue 15: "interactive in under 1 s
 * for a 100k-record collection"): time from navigation to the catalog drawn, to the first records
 * page, to a query with its plan, to the PCA map of 20,000 points, a hover and a click on it. N
 * (default 100,000) records of DIM (default 384) dimensions are written in process first, then the
 * folder is served.
 * Run: npx tsx bench/console.ts (KEEP=/some/dir writes the folder there once and reuses it after).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { PersistentClient } from "../src/index.js";
import { startServer } from "../src/server/index.js";
import { clustered, documentFor, metadataFor } from "./lib/data.js";

const N = Number(process.env.N ?? 100_000);
const DIM = Number(process.env.DIM ?? 384);
const keep = process.env.KEEP;
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "bench-console-"));
const reuse = keep !== undefined && fs.existsSync(path.join(keep, "chroma.sqlite3"));
try {
  if (!reuse) await write();
  await measure();
} finally {
  if (keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
}

async function write(): Promise<void> {
  const w = clustered(N, DIM, 1);
  const client = new PersistentClient({ path: dir, timeout: 0 });
  const c = await client.createCollection({ name: "bench" });
  for (let i = 0; i < N; i += 1000) {
    const ids = [];
    const embs = [];
    const docs = [];
    const metas = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      ids.push(`id${j}`);
      embs.push(w.vectors[j]!);
      docs.push(documentFor(j));
      metas.push(metadataFor(j, w.categories[j]!));
    }
    await c.add({ ids, embeddings: embs, documents: docs, metadatas: metas });
  }
  await c.waitForIndexing();
  await client.close();
  console.log(`${N} records of ${DIM} dimensions written and indexed`);
}

async function measure(): Promise<void> {
  const server = await startServer({ path: dir, port: 0, authToken: "bench" });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(120_000);
    const time = async (label: string, fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      console.log(`${label}: ${Math.round(performance.now() - t)} ms`);
    };
    // Cold: the server has just opened the folder; the collection's index is not loaded yet.
    await time("catalog drawn (cold server)", async () => {
      await page.goto(`${server.url}/#token=bench`);
      await page.waitForSelector("[data-testid=collection-row]");
    });
    await time("records view, first page of 25 (cold index)", async () => {
      await page.click("[data-testid=collection-link]");
      await page.waitForSelector("[data-testid=record-row]");
    });
    await time("three pages on, one at a time (offset 75)", async () => {
      for (let i = 0; i < 3; i++) await page.click("[data-testid=next]");
      await page.waitForSelector("[data-testid=record-row][data-id=id75]");
    });
    await time("find similar with explain (loads the index)", async () => {
      await page.click("[data-testid=record-row][data-id=id75]");
      await page.click("[data-testid=find-similar]");
      await page.waitForSelector("[data-testid=plan]");
    });
    console.log(`  plan: ${await page.textContent("[data-testid=plan]")}; ${await page.textContent("[data-testid=plan-reason]")}`);
    await time("catalog drawn (warm)", async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector("[data-testid=collection-row]");
    });
    await time("records view, first page of 25 (warm)", async () => {
      await page.click("[data-testid=collection-link]");
      await page.waitForSelector("[data-testid=record-row]");
    });
    await page.goto(`${server.url}/#/`);
    await page.waitForSelector("[data-testid=collection-row]");
    await time("map of 20,000 points (PCA on the server, drawn)", async () => {
      await page.click("[data-testid=collection-link]");
      await page.click("[data-testid=tab-map]");
      await page.waitForSelector("[data-testid=map-status][data-method=pca]");
    });
    console.log(`  ${await page.textContent("[data-testid=map-status]")}`);
    // Where Chart.js drew point 0 (the tooltip and the click go through its nearest-point search).
    const p0 = await page.evaluate<{ x: number; y: number }>(
      `(() => { const p = Chart.getChart(document.querySelector("[data-testid=map-canvas]")).getDatasetMeta(0).data[0]; return { x: p.x, y: p.y }; })()`,
    );
    const box = (await page.locator("[data-testid=map-canvas]").boundingBox())!;
    await time("hover a point among 20,000 (tooltip shown)", async () => {
      await page.mouse.move(box.x + p0.x, box.y + p0.y);
      await page.waitForSelector("[data-testid=map-tooltip]:visible");
    });
    await time("click it (its record opened)", async () => {
      await page.mouse.click(box.x + p0.x, box.y + p0.y);
      await page.waitForSelector("[data-testid=detail-id], [data-testid=record-row]");
    });
    await page.goBack();
    await page.waitForSelector("[data-testid=map-status][data-method=pca]");
    await time("UMAP of 5,000 points in a Web Worker", async () => {
      await page.selectOption("[data-testid=map-method]", "umap");
      await page.waitForSelector("[data-testid=map-status][data-method=umap]", { timeout: 600_000 });
    });
    console.log(`  ${await page.textContent("[data-testid=map-status]")}`);
    await time("health (recall on 50 held-out queries, exact vs HNSW)", async () => {
      await page.click("[data-testid=tab-health]");
      await page.waitForSelector("[data-testid=recall]");
    });
    console.log(`  recall@10: ${await page.textContent("[data-testid=recall]")}`);
  } finally {
    await browser.close();
    await server.close();
  }
}
