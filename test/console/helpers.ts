/**
 * For the console's browser tests: the browser code compiled fresh (as npm run build does), a
 * server with a token over a temp folder, JSON calls to it, Debian's Chromium driven by Playwright,
 * and a screenshot per test into a temp folder (copied to docs/console/ with UPDATE_SCREENSHOTS=1).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { startServer, type RunningServer } from "../../src/server/index.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = fs.existsSync(CHROMIUM);
export const TOKEN = "console-test-token";
const ROOT = path.resolve(import.meta.dirname, "../..");

export function buildConsole(): void {
  execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "src/console/client/tsconfig.json")], { stdio: "inherit" });
}

export interface Fixture {
  server: RunningServer;
  dir: string;
  shots: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  buildConsole();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-"));
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-console-shots-"));
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ path: dir, host: "127.0.0.1", port: 0, authToken: TOKEN });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  } catch (err) {
    await browser?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const s = server;
  const b = browser;
  return {
    server: s,
    dir,
    shots,
    browser: b,
    async close() {
      try {
        await b.close();
      } finally {
        await s.close({ timeoutMs: 5000 });
        fs.rmSync(dir, { recursive: true, force: true });
        console.log(`console screenshots: ${shots}`);
      }
    },
  };
}

/** A JSON call to the server; throws on an error status unless `expectStatus` is given. */
export async function api<T = unknown>(server: RunningServer, method: string, pathname: string, body?: unknown, opts: { token?: string | null } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers["x-chroma-token"] = token;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

export const DB = "/api/v2/tenants/default_tenant/databases/default_database";

export async function createCollection(server: RunningServer, name: string, space = "l2", metadata?: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>(server, "POST", `${DB}/collections`, { name, configuration: { hnsw: { space } }, ...(metadata ? { metadata } : {}) });
  if (r.status !== 200) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export async function addRecords(server: RunningServer, id: string, records: { ids: string[]; embeddings: number[][]; documents?: string[]; metadatas?: Record<string, unknown>[] }): Promise<void> {
  const r = await api(server, "POST", `${DB}/collections/${id}/add`, records);
  if (r.status !== 201) throw new Error(`add: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A page on the console, with the token already given (through the URL, as `chromalite console` does). */
export async function openConsole(f: Fixture, hash = "#/", token: string | null = TOKEN): Promise<Page> {
  const page = await f.browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (err) => console.error("page error:", err.message));
  const url = token === null ? `${f.server.url}/${hash}` : `${f.server.url}/#token=${encodeURIComponent(token)}`;
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  if (token !== null && hash !== "#/") await go(page, hash);
  return page;
}

/** Moves the console to another view (the tests' tsconfig has no DOM types: a string is evaluated). */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

export async function shot(f: Fixture, page: Page, name: string): Promise<void> {
  const file = path.join(f.shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    fs.mkdirSync(path.join(ROOT, "docs/console"), { recursive: true });
    fs.copyFileSync(file, path.join(ROOT, "docs/console", `${name}.png`));
  }
}
