/**
 * The console in a real browser (Debian's Chromium, headless, through Playwright): login and the
 * token, the catalog with create/rename/delete, records (paging, filters with Chroma's errors,
 * detail, edit, delete), queries with explain and the client snippet, the map, health, and markup
 * in data rendered as text. Each test saves a screenshot (see helpers.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { registerEmbeddingFunction } from "../../src/index.js";
import { rng } from "../helpers/rng.js";
import { addRecords, api, go, createCollection, DB, hasChromium, openConsole, shot, startFixture, TOKEN, type Fixture, CHROMIUM } from "./helpers.js";

const KINDS = ["fruit", "vegetable", "grain"];

async function hitIds(page: Page): Promise<(string | null)[]> {
  const rows = page.locator("[data-testid=hit]");
  const out: (string | null)[] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push(await rows.nth(i).getAttribute("data-id"));
  return out;
}

describe.skipIf(!hasChromium)(`the console in Chromium${hasChromium ? "" : ` (SKIPPED: no ${CHROMIUM}; apt-get install chromium)`}`, () => {
  let f: Fixture;
  let fruits: string;
  let big: string;
  beforeAll(async () => {
    f = await startFixture();
    fruits = await createCollection(f.server, "fruits", "l2", { owner: "console-test" });
    await addRecords(f.server, fruits, {
      ids: Array.from({ length: 60 }, (_, i) => `r${String(i).padStart(2, "0")}`),
      embeddings: Array.from({ length: 60 }, (_, i) => [i, i % 7, (i * 3) % 11]),
      documents: Array.from({ length: 60 }, (_, i) => `record ${i} about ${KINDS[i % 3]} and apples ${i % 5 === 0 ? "red" : "green"}`),
      metadatas: Array.from({ length: 60 }, (_, i) => ({ kind: KINDS[i % 3]!, n: i })),
    });
    big = await createCollection(f.server, "big-one", "cosine");
    const next = rng(7);
    const n = 1200;
    await addRecords(f.server, big, {
      ids: Array.from({ length: n }, (_, i) => `b${i}`),
      embeddings: Array.from({ length: n }, () => Array.from({ length: 16 }, () => next() - 0.5)),
      documents: Array.from({ length: n }, (_, i) => `point ${i} ${i % 2 === 0 ? "even" : "odd"}`),
      metadatas: Array.from({ length: n }, (_, i) => ({ parity: i % 2 === 0 ? "even" : "odd", i })),
    });
  }, 120_000);
  afterAll(async () => {
    await f?.close();
  });

  it("without the token shows only the login, and the API refuses", async () => {
    const page = await openConsole(f, "#/", null);
    await page.waitForSelector("[data-testid=login]");
    expect(await page.locator("[data-testid=collection-row]").count()).toBe(0);
    expect(await page.content()).not.toContain("fruits");
    await shot(f, page, "login");
    // The console's own endpoints and the API both need the token.
    expect((await api(f.server, "GET", "/console/api/catalog", undefined, { token: null })).status).toBe(401);
    expect((await api(f.server, "GET", "/console/api/catalog", undefined, { token: "wrong" })).status).toBe(403);
    expect((await api(f.server, "POST", `/console/api${DB.replace("/api/v2", "")}/collections/${fruits}/explain`, { query_embeddings: [[1, 2, 3]] }, { token: null })).status).toBe(401);
    expect((await api(f.server, "POST", `${DB}/collections/${fruits}/get`, {}, { token: null })).status).toBe(401);
    // A wrong token is refused, the right one opens the catalog.
    await page.fill("[data-testid=token]", "wrong");
    await page.click("[data-testid=login-submit]");
    await expect.poll(() => page.textContent("[data-testid=login-error]")).toContain("refused");
    await page.fill("[data-testid=token]", TOKEN);
    await page.click("[data-testid=login-submit]");
    await page.waitForSelector("[data-testid=collection-row]");
    // The page and its code carry no data: open, with a policy that allows no inline script.
    const res = await fetch(`${f.server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    await page.close();
  });

  it("catalog: collections with count, dimension, space, indexing; create, rename, delete with the typed name", async () => {
    const page = await openConsole(f);
    const row = page.locator("[data-testid=collection-row][data-name=fruits]");
    await row.waitFor();
    expect(await row.locator("[data-testid=count]").textContent()).toBe("60");
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("l2");
    expect(text).toContain("console-test");
    // The catalog does not load indexes: a collection not queried yet offers to load its index.
    const indexing = row.locator("[data-testid=indexing]");
    if ((await indexing.locator("[data-testid=load-index]").count()) > 0) await indexing.locator("[data-testid=load-index]").click();
    await expect.poll(() => indexing.textContent()).toBe("indexed");
    type Cat = { tenants: { databases: { collections: { name: string; indexing: { num_unindexed_ops: number } | null }[] }[] }[] };
    const cat = await api<Cat>(f.server, "GET", "/console/api/catalog");
    const listed = cat.body.tenants[0]!.databases[0]!.collections.find((c) => c.name === "fruits");
    expect(listed?.indexing).toMatchObject({ num_unindexed_ops: 0, total_ops: 60 });
    await shot(f, page, "catalog");

    await page.fill("[data-testid=new-name]", "scratch");
    await page.selectOption("[data-testid=new-space]", "ip");
    await page.click("[data-testid=create]");
    const scratch = page.locator("[data-testid=collection-row][data-name=scratch]");
    await scratch.waitFor();
    expect(await scratch.textContent()).toContain("ip");
    const got = await api<{ configuration_json: { hnsw: { space: string } } }>(f.server, "GET", `${DB}/collections/scratch`);
    expect(got.body.configuration_json.hnsw.space).toBe("ip");

    await scratch.locator("[data-testid=rename]").click();
    await page.fill("[data-testid=prompt-input]", "scratch-2");
    await page.click("[data-testid=prompt-ok]");
    const renamed = page.locator("[data-testid=collection-row][data-name=scratch-2]");
    await renamed.waitFor();
    expect((await api(f.server, "GET", `${DB}/collections/scratch-2`)).status).toBe(200);

    await renamed.locator("[data-testid=delete]").click();
    const ok = page.locator("[data-testid=confirm-ok]");
    expect(await ok.isDisabled()).toBe(true);
    await page.fill("[data-testid=confirm-input]", "scratch");
    expect(await ok.isDisabled()).toBe(true); // not the exact name
    await page.fill("[data-testid=confirm-input]", "scratch-2");
    await ok.click();
    await renamed.waitFor({ state: "detached" });
    expect((await api(f.server, "GET", `${DB}/collections/scratch-2`)).status).toBe(404);

    // A name Chroma refuses shows Chroma's error.
    await page.fill("[data-testid=new-name]", "a");
    await page.click("[data-testid=create]");
    await expect.poll(() => page.textContent("[data-testid=catalog-error]")).toMatch(/InvalidArgumentError \(400\): .*name/i);
    await page.close();
  });

  it("records: pages through get, filters with Chroma's errors, detail, edit and delete", async () => {
    const page = await openConsole(f, `#/c/${fruits}/records`);
    await page.waitForSelector("[data-testid=record-row][data-id=r00]");
    expect(await page.textContent("[data-testid=page-status]")).toBe("records 1–25 of 60");
    await page.click("[data-testid=next]");
    await page.waitForSelector("[data-testid=record-row][data-id=r25]");
    expect(await page.textContent("[data-testid=page-status]")).toBe("records 26–50 of 60");
    await page.click("[data-testid=next]");
    await page.waitForSelector("[data-testid=record-row][data-id=r59]");
    expect(await page.locator("[data-testid=record-row]").count()).toBe(10);
    expect(await page.isDisabled("[data-testid=next]")).toBe(true);

    // A bad filter: Chroma's message next to the editors; invalid JSON too.
    await page.fill("[data-testid=records-where]", '{"n": {"$gt": "x"}, "kind": 1}');
    await page.click("[data-testid=apply-filters]");
    await expect.poll(() => page.textContent("[data-testid=records-filter-error]")).toMatch(/^InvalidArgumentError \(400\): /);
    await page.fill("[data-testid=records-where]", "{kind:");
    await page.click("[data-testid=apply-filters]");
    await expect.poll(() => page.textContent("[data-testid=records-filter-error]")).toContain("where: not valid JSON");

    await page.fill("[data-testid=records-where]", '{"kind": "grain"}');
    await page.fill("[data-testid=records-where-document]", '{"$contains": "red"}');
    await page.click("[data-testid=apply-filters]");
    await expect.poll(() => page.locator("[data-testid=record-row]").count()).toBe(4); // i % 3 == 2 and i % 5 == 0: 5, 20, 35, 50
    expect(await page.textContent("[data-testid=records-filter-error]")).toBe("");

    await page.click("[data-testid=record-row][data-id=r20]");
    await page.waitForSelector("[data-testid=detail-id]");
    expect(await page.textContent("[data-testid=embedding-preview]")).toContain("3 dimensions");
    await shot(f, page, "records");
    await page.fill("[data-testid=detail-document]", "edited in the console");
    await page.fill("[data-testid=detail-metadata]", '{"kind": "grain", "note": "checked"}');
    await page.click("[data-testid=save-record]");
    await expect.poll(() => page.textContent("[data-testid=detail-message]")).toBe("Saved.");
    const after = await api<{ documents: string[]; metadatas: Record<string, unknown>[] }>(f.server, "POST", `${DB}/collections/${fruits}/get`, { ids: ["r20"] });
    expect(after.body.documents).toEqual(["edited in the console"]);
    expect(after.body.metadatas).toEqual([{ kind: "grain", note: "checked" }]); // n was removed in the editor

    await page.click("[data-testid=delete-record]");
    await page.click("[data-testid=confirm-cancel]");
    expect((await api<number>(f.server, "GET", `${DB}/collections/${fruits}/count`)).body).toBe(60);
    await page.click("[data-testid=delete-record]");
    await page.click("[data-testid=confirm-ok]");
    await expect.poll(async () => (await api<number>(f.server, "GET", `${DB}/collections/${fruits}/count`)).body).toBe(59);
    await page.close();
  });

  it("query: by vector with explain and the client snippet, find similar, BM25 text", async () => {
    const page = await openConsole(f, `#/c/${fruits}/query`);
    await page.waitForSelector("[data-testid=query-vector]");
    await page.fill("[data-testid=query-vector]", "[10, 3, 8]");
    await page.fill("[data-testid=n-results]", "3");
    await page.fill("[data-testid=query-where]", '{"$and": [{"kind": "fruit"}, {"n": {"$lt": 40}}]}');
    await page.click("[data-testid=run-query]");
    await page.waitForSelector("[data-testid=hit]");
    const hits = await hitIds(page);
    // The same query through the API gives the same ids.
    const viaApi = await api<{ ids: string[][] }>(f.server, "POST", `${DB}/collections/${fruits}/query`, {
      query_embeddings: [[10, 3, 8]],
      n_results: 3,
      where: { $and: [{ kind: "fruit" }, { n: { $lt: 40 } }] },
    });
    expect(hits).toEqual(viaApi.body.ids[0]);
    expect(await page.textContent("[data-testid=plan]")).toBe("exact-scan");
    expect(await page.locator("[data-testid=hit]").first().textContent()).toContain("✓ matched");
    const snippet = (await page.textContent("[data-testid=snippet]")) ?? "";
    expect(snippet).toContain('import { ChromaClient } from "chromadb";');
    expect(snippet).toContain("queryEmbeddings: [[10,3,8]]");
    expect(snippet).toContain('where: {"$and":[{"kind":"fruit"},{"n":{"$lt":40}}]}');
    await shot(f, page, "query");

    // Find similar, from a record's detail.
    await go(page, `#/c/${fruits}/records?id=r07`);
    await page.click("[data-testid=record-row][data-id=r07]");
    await page.click("[data-testid=find-similar]");
    await page.waitForSelector("[data-testid=hit]");
    expect(await page.locator("[data-testid=hit]").first().getAttribute("data-id")).toBe("r07");
    expect(await page.textContent("[data-testid=snippet]")).toContain('collection.get({ ids: ["r07"], include: ["embeddings"] })');

    // Text, ranked by BM25 through the Search API; the terms each hit holds.
    await page.selectOption("[data-testid=query-mode]", "text");
    await page.fill("[data-testid=query-text]", "vegetables");
    await page.click("[data-testid=run-query]");
    await expect.poll(() => page.textContent("[data-testid=plan]")).toBe("bm25");
    const ids = await hitIds(page);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(Number(id!.slice(1)) % 3).toBe(1); // the vegetable records
    // Explain splits each hit's BM25 score by query term: one term here, so its part is the score.
    const first = page.locator("[data-testid=hit]").first();
    const part = /^veget (-\d+\.\d{4})$/.exec((await first.locator("[data-testid=term]").textContent()) ?? "");
    expect(part).not.toBeNull();
    expect(part![1]).toBe(await first.locator("[data-testid=score]").textContent());
    expect(await page.textContent("[data-testid=snippet]")).toContain('Knn({ query: "vegetables", key: "#document" })');
    await page.close();
  });

  it("query by text through the collection's embedding function (rebuilt from its configuration)", async () => {
    const embed = (t: string, alphabet: string) => [...alphabet].map((ch) => t.split(ch).length - 1 + 0.5);
    class ConsoleLetters {
      readonly name = "console-letters";
      constructor(readonly alphabet: string) {}
      static buildFromConfig(config: Record<string, unknown>) {
        return new ConsoleLetters(config.alphabet as string);
      }
      getConfig() {
        return { alphabet: this.alphabet };
      }
      generate(texts: string[]) {
        return Promise.resolve(texts.map((t) => embed(t, this.alphabet)));
      }
    }
    registerEmbeddingFunction("console-letters", ConsoleLetters);
    const created = await api<{ id: string }>(f.server, "POST", `${DB}/collections`, {
      name: "letters",
      configuration: { embedding_function: { type: "known", name: "console-letters", config: { alphabet: "xyz" } } },
    });
    expect(created.status).toBe(200);
    const docs = ["xxxx", "yyyy", "zzzz", "xyz"];
    await addRecords(f.server, created.body.id, { ids: ["1", "2", "3", "4"], embeddings: docs.map((d) => embed(d, "xyz")), documents: docs });
    const page = await openConsole(f, `#/c/${created.body.id}/query`);
    await page.waitForSelector("[data-testid=query-mode]");
    await page.selectOption("[data-testid=query-mode]", "embed");
    await page.fill("[data-testid=query-text]", "zzz");
    await page.fill("[data-testid=n-results]", "2");
    await page.click("[data-testid=run-query]");
    await page.waitForSelector("[data-testid=hit]");
    expect(await hitIds(page)).toEqual(["3", "4"]);
    expect(await page.textContent("[data-testid=snippet]")).toContain('queryTexts: ["zzz"]');
    // Without an embedding function the mode is not offered, and the endpoint says what is missing.
    const none = await api<{ message: string }>(f.server, "POST", `/console/api/tenants/default_tenant/databases/default_database/collections/${fruits}/embed`, { texts: ["a"] });
    expect(none.status).toBe(400);
    expect(none.body.message).toContain("No embedding function found for collection 'fruits'");
    await page.close();
  });

  it("the snippets run as printed with the official chromadb client and give the console's results", async () => {
    const { ChromaClient, Knn, Search } = await import("chromadb");
    const page = await openConsole(f, `#/c/${fruits}/query`);
    await page.waitForSelector("[data-testid=query-vector]");
    const runSnippet = async (): Promise<unknown> => {
      const code = ((await page.textContent("[data-testid=snippet]")) ?? "").replace(/^import .*$/gm, "");
      const env = { env: { CHROMA_TOKEN: TOKEN } };
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the snippet is the code under test
      const fn = new Function("ChromaClient", "Knn", "Search", "process", `return (async () => {${code}\nreturn result;})();`) as (...a: unknown[]) => Promise<unknown>;
      return fn(ChromaClient, Knn, Search, env);
    };
    await page.fill("[data-testid=query-vector]", "[3, 1, 4]");
    await page.fill("[data-testid=query-where-document]", '{"$contains": "green"}');
    await page.click("[data-testid=run-query]");
    await page.waitForSelector("[data-testid=hit]");
    const shown = await hitIds(page);
    expect(((await runSnippet()) as { ids: string[][] }).ids[0]).toEqual(shown);

    await page.selectOption("[data-testid=query-mode]", "record");
    await page.fill("[data-testid=query-record]", "r11");
    await page.click("[data-testid=run-query]");
    await expect.poll(async () => (await hitIds(page))[0]).toBe("r11");
    expect(((await runSnippet()) as { ids: string[][] }).ids[0]).toEqual(await hitIds(page));

    await page.selectOption("[data-testid=query-mode]", "text");
    await page.fill("[data-testid=query-text]", "red grain");
    await page.fill("[data-testid=query-where-document]", "");
    await page.fill("[data-testid=query-where]", '{"n": {"$gte": 10}}');
    await page.click("[data-testid=run-query]");
    await expect.poll(() => page.textContent("[data-testid=plan]")).toBe("bm25");
    const text = await hitIds(page);
    expect(text.length).toBeGreaterThan(0);
    // Two terms: each hit's parts add up to its score; the where clause is matched by every hit.
    for (let i = 0; i < text.length; i++) {
      const row = page.locator("[data-testid=hit]").nth(i);
      const parts = (await row.locator("[data-testid=term]").allTextContents()).map((t) => Number(t.split(" ")[1]));
      expect(parts.length).toBeGreaterThan(0);
      expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(Number(await row.locator("[data-testid=score]").textContent()), 3);
      expect(await row.textContent()).toContain("✓ matched");
    }
    await shot(f, page, "query-bm25");
    expect(((await runSnippet()) as { ids: string[][] }).ids[0]).toEqual(text);
    await page.close();
  });

  it("explain over HTTP: the plan the engine chose and the candidates it considered", async () => {
    const base = `/console/api/tenants/default_tenant/databases/default_database/collections/${big}/explain`;
    type Out = { plans: { plan: string; candidates: number; allowed: number | null; searchable: number }[]; result: { ids: string[][] }; clauses: { clause: string; matched: string[] }[] };
    const q = Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    const open = await api<Out>(f.server, "POST", base, { query_embeddings: [q], n_results: 5 });
    expect(open.status).toBe(200);
    expect(open.body.plans[0]).toMatchObject({ plan: "hnsw", searchable: 1200, allowed: null, candidates: 1200 });
    const filtered = await api<Out>(f.server, "POST", base, { query_embeddings: [q], n_results: 5, where: { i: { $lt: 100 } } });
    expect(filtered.body.plans[0]).toMatchObject({ plan: "exact-scan", allowed: 100, candidates: 100 });
    const viaApi = await api<{ ids: string[][] }>(f.server, "POST", `${DB}/collections/${big}/query`, { query_embeddings: [q], n_results: 5, where: { i: { $lt: 100 } } });
    expect(filtered.body.result.ids).toEqual(viaApi.body.ids);
    expect(filtered.body.clauses).toHaveLength(1);
    expect(filtered.body.clauses[0]!.clause).toBe('{"i":{"$lt":100}}');
    expect([...filtered.body.clauses[0]!.matched].sort()).toEqual([...viaApi.body.ids[0]!].sort());
    const bad = await api<{ error: string; message: string }>(f.server, "POST", base, { query_embeddings: [[1, 2]] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("dimension of 16, got 2");
  });

  it("map: a PCA plot coloured by a metadata key, hover shows the document; UMAP in a Web Worker", async () => {
    const page = await openConsole(f, `#/c/${big}/map`);
    // The chart library runs under the page's Content-Security-Policy without a complaint.
    const complaints: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && complaints.push(m.text())));
    await page.waitForSelector("[data-testid=map-status][data-method=pca]");
    expect(await page.getAttribute("[data-testid=map-status]", "data-points")).toBe("1200");
    await page.selectOption("[data-testid=map-color]", "parity");
    expect(await page.textContent("[data-testid=map-legend]")).toContain('"even"');
    // Drawn by Chart.js (served from the package): where it drew the first record's point.
    const at = (i: number) =>
      page.evaluate<{ x: number; y: number }>(`(() => {
        const p = Chart.getChart(document.querySelector("[data-testid=map-canvas]")).getDatasetMeta(0).data[${i}];
        return { x: p.x, y: p.y };
      })()`);
    // Every point is inside the plot area (the axes' bounds come from the data).
    const inside = await page.evaluate<number>(`(() => {
      const chart = Chart.getChart(document.querySelector("[data-testid=map-canvas]"));
      const a = chart.chartArea;
      return chart.getDatasetMeta(0).data.filter((p) => p.x >= a.left && p.x <= a.right && p.y >= a.top && p.y <= a.bottom).length;
    })()`);
    expect(inside).toBe(1200);
    const spot = await at(0);
    const box = (await page.locator("[data-testid=map-canvas]").boundingBox())!;
    await page.mouse.move(box.x + spot.x, box.y + spot.y);
    // The sample is the whole collection, in insertion order: point 0 is b0.
    await expect.poll(() => page.textContent("[data-testid=map-tooltip]")).toBe("b0\npoint 0 even\nparity: \"even\"");
    await shot(f, page, "map");
    // Away from every point the tooltip goes; a click on a point opens its record.
    await page.mouse.move(box.x + 2, box.y + 2);
    await expect.poll(() => page.isVisible("[data-testid=map-tooltip]")).toBe(false);
    const p5 = await at(5);
    await page.mouse.click(box.x + p5.x, box.y + p5.y);
    await expect.poll(() => page.evaluate("location.hash")).toBe(`#/c/${big}/records?id=b5`);
    await page.waitForSelector("[data-testid=record-row][data-id=b5]");
    await go(page, `#/c/${big}/map`);
    await page.waitForSelector("[data-testid=map-status][data-method=pca]");

    // UMAP, computed in a Web Worker from the sample's vectors (umap-js served from the package).
    await page.selectOption("[data-testid=map-method]", "umap");
    await page.waitForSelector("[data-testid=map-status][data-method=umap]", { timeout: 90_000 });
    expect(await page.getAttribute("[data-testid=map-status]", "data-points")).toBe("1200");
    expect(await page.textContent("[data-testid=map-status]")).toMatch(/^UMAP of 1,200 of 1,200 records \(15 neighbours, min_dist 0.1, cosine\)/);
    expect(await page.locator("[data-testid=map-canvas]").count()).toBe(1);
    await page.selectOption("[data-testid=map-color]", "parity");
    await shot(f, page, "map-umap");
    expect(complaints).toEqual([]);
    await page.close();
  });

  it("health: HNSW recall against exact, index lag, disk, memory and verify", async () => {
    const page = await openConsole(f, `#/c/${big}/health`);
    await page.waitForSelector("[data-testid=recall]");
    const recall = parseFloat((await page.textContent("[data-testid=recall]")) ?? "");
    expect(recall).toBeGreaterThanOrEqual(90);
    expect(await page.textContent("[data-testid=lag]")).toMatch(/^\d+ of 1200 records waiting/);
    expect(await page.textContent("[data-testid=recall-queries]")).toContain("moved in a random direction");
    await page.click("[data-testid=run-verify]");
    await expect.poll(() => page.textContent("[data-testid=verify-status]"), { timeout: 30_000 }).toBe("verify: no problems found");
    await shot(f, page, "health");
    await page.close();
  });

  it("markup in documents, metadata keys and values renders as text and runs nothing", async () => {
    const payloads = ['<script>window.__xss = "script"</script>', '"><img src=x onerror="window.__xss=\'img\'">', "<img src=x onerror=alert(1)>"];
    const id = await createCollection(f.server, "xss", "l2", { note: payloads[1]! });
    await addRecords(f.server, id, {
      ids: payloads.map((_, i) => `x${i}`),
      embeddings: payloads.map((_, i) => [i, 1]),
      documents: payloads,
      metadatas: payloads.map((p) => ({ [p]: p, "<b>key</b>": 1 })),
    });
    // Chroma's name rules refuse markup in a collection name; the console shows that error as text.
    const refused = await api<{ message: string }>(f.server, "POST", `${DB}/collections`, { name: "<script>alert(1)</script>" });
    expect(refused.status).toBe(400);
    let dialogs = 0;
    const page = await openConsole(f);
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.fill("[data-testid=new-name]", '"><img src=x onerror=alert(1)>');
    await page.click("[data-testid=create]");
    await expect.poll(() => page.textContent("[data-testid=catalog-error]")).toContain('"><img src=x onerror=alert(1)>');
    expect(await page.textContent("[data-testid=collection-row][data-name=xss]")).toContain('"><img src=x');
    await go(page, `#/c/${id}/records`);
    await page.waitForSelector("[data-testid=record-row][data-id=x2]");
    await page.click("[data-testid=record-row][data-id=x1]");
    await page.waitForSelector("[data-testid=detail-id]");
    const table = (await page.textContent("[data-testid=records-table]")) ?? "";
    for (const p of payloads) expect(table).toContain(p);
    expect(table).toContain("<b>key</b>");
    expect(await page.inputValue("[data-testid=detail-document]")).toBe(payloads[1]);
    await go(page, `#/c/${id}/query?record=x0`);
    await page.waitForSelector("[data-testid=hit]");
    await go(page, `#/c/${id}/map`);
    await page.waitForSelector("[data-testid=map-canvas]");
    await page.selectOption("[data-testid=map-color]", payloads[2]!);
    // Nothing ran: no dialog, no global set, no element made from the data.
    await new Promise((r) => setTimeout(r, 300));
    expect(dialogs).toBe(0);
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("main script, main b").count()).toBe(0);
    await go(page, `#/c/${id}/records`);
    await page.waitForSelector("[data-testid=record-row][data-id=x2]");
    await shot(f, page, "xss");
    await page.close();
  });
});
