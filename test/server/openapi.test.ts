/**
 * `/openapi.json` and `/docs`. The document is generated from the route table the router serves;
 * here it is checked against the running server: every documented operation is served, every
 * request body's example is accepted, and a body without one of its required fields gets Chroma's
 * 422 "missing field". The page is loaded in a real Chromium (skipped, saying so, without one).
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { openApiDocument } from "../../src/server/openapi.js";
import { apiRoutes } from "../../src/server/routes.js";
import { consoleApiRoutes } from "../../src/server/console-routes.js";
import { tempDir } from "../helpers/tmp.js";

interface Operation {
  operationId: string;
  parameters: { name: string; in: string }[];
  requestBody?: { content: { "application/json": { schema: { $ref: string }; example: Record<string, unknown> } } };
  responses: Record<string, unknown>;
  security?: unknown[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[] }> };
}

const TOKEN = "secret";
let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(`${process.env.TMPDIR ?? "/tmp"}/chromalite-openapi-`);
  server = await startServer({ path: dir, port: 0, authToken: TOKEN });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "x-chroma-token": TOKEN, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

describe("/openapi.json", () => {
  it("is served without a token, and documents exactly the routes the router serves", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as Doc & { openapi: string };
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.openapi).toBe("3.1.0");
    const documented = operations(doc).map(({ method, path }) => `${method} ${path}`).sort();
    const openApi = (path: string) => path.replace(/:id\b/, ":collection_id").replace(/:([a-z_]+)/g, "{$1}");
    const served = [
      ...apiRoutes().map(([method, path]) => `${method} /api/v2${openApi(path)}`),
      ...consoleApiRoutes().map(([method, path]) => `${method} ${openApi(path)}`),
    ].sort();
    expect(documented).toEqual(served);
    expect(new Set(operations(doc).map(({ op }) => op.operationId)).size).toBe(documented.length);
    // Open routes say so; the others list the token's answers.
    const heartbeat = doc.paths["/api/v2/heartbeat"]!.get!;
    expect(heartbeat.security).toEqual([]);
    expect(Object.keys(doc.paths["/api/v2/tenants"]!.post!.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "422"]) as string[]);
  });

  it("every documented operation is served, every body example is accepted, and each required field is required", async () => {
    const doc = openApiDocument() as unknown as Doc;
    const created = await call("POST", "/api/v2/tenants/default_tenant/databases/default_database/collections", { name: "docs" });
    const id = (JSON.parse(created.text) as { id: string }).id;
    const fill = (path: string) =>
      path
        .replace("{tenant}", "default_tenant")
        .replace("{database}", "default_database")
        .replace("{collection_id}", id)
        .replace("{crn}", "default_tenant:default_database:docs")
        .replace("{function}", "fn");
    let checkedRequired = 0;
    // The API's operations (the console's are checked in test/console/routes.test.ts).
    for (const { path, method, op } of operations(doc).filter((o) => o.path.startsWith("/api/v2/"))) {
      const url = fill(path);
      const where = `${method} ${path}`;
      const expected = Object.keys(op.responses).filter((s) => s.startsWith("2") || s === "501");
      if (!op.requestBody) {
        // Reads only (and the name-addressed DELETE, last): served, not "No route".
        if (method === "DELETE" || path.endsWith("/reset")) continue;
        const res = await call(method, url);
        expect(res.text, where).not.toMatch(/No route for|is not allowed on/);
        continue;
      }
      const { schema, example } = op.requestBody.content["application/json"];
      const required = doc.components.schemas[schema.$ref.split("/").pop()!]!.required ?? [];
      for (const field of required) {
        const without: Record<string, unknown> = { ...example };
        delete without[field];
        const res = await call(method, url, without);
        expect(res.status, `${where} without ${field}: ${res.text}`).toBe(422);
        expect(res.text, where).toContain(`missing field \`${field}\``);
        checkedRequired++;
      }
      const res = await call(method, url, example);
      const ok = res.status >= 200 && res.status < 300;
      expect(ok || (op.responses["501"] !== undefined && res.status === 501), `${where} with its example: ${res.status} ${res.text}`).toBe(true);
      expect(expected, where).toContain(String(res.status));
    }
    expect(checkedRequired).toBeGreaterThanOrEqual(10);
  });
});

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(`/docs in a real browser${hasChromium ? "" : ` (SKIPPED: no ${CHROMIUM}; apt-get install chromium)`}`, () => {
  it("renders every operation from /openapi.json, without a token, and filters them", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on("requestfailed", (r) => failed.push(r.url()));
      page.on("pageerror", (e) => failed.push(e.message));
      const response = await page.goto(`${server.url}/docs`);
      expect(response?.status()).toBe(200);
      await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
      const count = operations(openApiDocument() as unknown as Doc).length;
      expect(await page.locator("details.op").count()).toBe(count);
      expect(await page.locator("#title").textContent()).toMatch(/^chromalite \d+\.\d+\.\d+/);
      await page.locator("details.op", { hasText: "/upsert" }).locator("summary").click();
      expect(await page.locator("details.op[open] pre").first().textContent()).toContain('"ids"');
      await page.fill("#filter", "upsert");
      expect(await page.locator("details.op:visible").count()).toBe(1);
      await page.screenshot({ path: `${tempDir("chromalite-docs-")}/docs.png` });
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
