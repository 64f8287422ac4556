/**
 * Request lifecycle: graceful close with requests in flight, cancellation when a client disconnects,
 * per-request timeouts, and many concurrent clients.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { ChromaClient } from "chromadb";
import { describe, expect, it, onTestFinished } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { tempDir } from "../helpers/tmp.js";
import { base64Embedding, request, startChromalite, TD, vectors } from "./helpers.js";

/** Sends a request whose body arrives in two parts; `sendRest()` completes it. */
function splitRequest(url: string, pathname: string, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let sendRest!: () => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      `${url}${pathname}`,
      { method: "POST", headers: { "content-type": "application/json", "content-length": bytes.length } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.write(bytes.subarray(0, half));
    sendRest = () => req.end(bytes.subarray(half));
  });
  return { response, sendRest: () => sendRest() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createCollection(url: string, name: string): Promise<string> {
  const res = await request(url, "POST", `${TD}/collections`, { name });
  expect(res.status).toBe(200);
  return (res.body as { id: string }).id;
}

async function fill(url: string, id: string, n: number, dim: number): Promise<void> {
  const vs = vectors(n, dim);
  for (let i = 0; i < n; i += 1000) {
    const chunk = vs.slice(i, i + 1000);
    const res = await request(url, "POST", `${TD}/collections/${id}/add`, {
      ids: chunk.map((_, j) => `r${i + j}`),
      embeddings: chunk.map(base64Embedding),
    });
    expect(res.status).toBe(201);
  }
}

describe("close()", () => {
  it("finishes requests in flight, then closes the folder", async () => {
    const dir = tempDir();
    const server = await startServer({ path: dir, port: 0 });
    let closed = false;
    onTestFinished(() => server.close());
    const id = await createCollection(server.url, "inflight");
    const { response, sendRest } = splitRequest(
      server.url,
      `${TD}/collections/${id}/add`,
      JSON.stringify({ ids: ["late"], embeddings: [[1, 2, 3]], documents: ["arrived during shutdown"] }),
    );
    await sleep(50);
    const closing = server.close().then(() => (closed = true));
    await sleep(50);
    expect(closed).toBe(false); // waiting for the request in flight
    // No new connections once closing.
    await expect(fetch(`${server.url}/api/v2/heartbeat`)).rejects.toThrow();
    sendRest();
    expect((await response).status).toBe(201);
    await closing;
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);

    const client = new PersistentClient({ path: dir });
    onTestFinished(() => client.close());
    const c = await client.getCollection({ name: "inflight" });
    expect((await c.get({ ids: ["late"] })).documents).toEqual(["arrived during shutdown"]);
  });

  it("cancels requests still running after its timeout", async () => {
    const dir = tempDir();
    const server = await startServer({ path: dir, port: 0 });
    const id = await createCollection(server.url, "stuck");
    const { response, sendRest } = splitRequest(
      server.url,
      `${TD}/collections/${id}/add`,
      JSON.stringify({ ids: ["never"], embeddings: [[1, 2, 3]] }),
    );
    await sleep(50);
    // close() resolves although the request never completes: it gave up on it after its timeout.
    await server.close({ timeoutMs: 200 });
    sendRest();
    await expect(response).rejects.toThrow(); // the connection was closed under it
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);
    // The cancelled write changed nothing.
    const client = new PersistentClient({ path: dir });
    onTestFinished(() => client.close());
    const c = await client.getCollection({ name: "stuck" });
    expect(await c.count()).toBe(0);
  });
});

describe("cancellation", () => {
  it("aborts the operation of a client that disconnects", async () => {
    const records: { op?: string; ok?: boolean; error?: string }[] = [];
    const t = await startChromalite({ logger: { debug: (obj) => records.push(obj) } });
    onTestFinished(() => t.close());
    const id = await createCollection(t.url, "big");
    await fill(t.url, id, 5000, 128);
    const req = http.request(`${t.url}${TD}/collections/${id}/get`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    req.on("error", () => undefined);
    req.end(JSON.stringify({ include: ["embeddings", "documents", "metadatas"] }));
    await sleep(40);
    req.destroy();
    await expect.poll(() => records.find((r) => r.op === "get"), { timeout: 5000 }).toBeDefined();
    expect(records.find((r) => r.op === "get")).toMatchObject({ ok: false, error: "AbortError" });
    expect((await request(t.url, "GET", `${TD}/collections/${id}/count`)).body).toBe(5000);
  });

  it("answers 504 when an operation exceeds the request timeout", async () => {
    const dir = tempDir();
    const first = await startServer({ path: dir, port: 0 });
    const id = await createCollection(first.url, "slow");
    await fill(first.url, id, 4000, 32);
    await first.close();
    const server = await startServer({ path: dir, port: 0, requestTimeoutMs: 1 });
    onTestFinished(() => server.close());
    const res = await request(server.url, "POST", `${TD}/collections/${id}/get`, { include: ["embeddings"] });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ error: "ChromaError" });
  });
});

describe("concurrency", () => {
  it("serves many concurrent clients without losing or mixing writes", async () => {
    const t = await startChromalite();
    onTestFinished(() => t.close());
    const collections = 4;
    const clients = 16;
    const perClient = 12;
    for (let c = 0; c < collections; c++) {
      await new ChromaClient({ host: t.host, port: t.port }).createCollection({ name: `cc${c}`, embeddingFunction: null });
    }
    await Promise.all(
      Array.from({ length: clients }, async (_, k) => {
        const client = new ChromaClient({ host: t.host, port: t.port });
        const col = await client.getCollection({ name: `cc${k % collections}` });
        for (let i = 0; i < perClient; i++) {
          await col.upsert({ ids: [`k${k}-${i}`], embeddings: [[k, i, 1, 0]], metadatas: [{ k, i }] });
          const got = await col.get({ ids: [`k${k}-${i}`], include: ["metadatas", "embeddings"] });
          expect(got.metadatas).toEqual([{ k, i }]);
          expect(got.embeddings).toEqual([[k, i, 1, 0]]);
          if (i % 4 === 0) await col.query({ queryEmbeddings: [[k, i, 1, 0]], nResults: 3 });
        }
      }),
    );
    const client = new ChromaClient({ host: t.host, port: t.port });
    for (let c = 0; c < collections; c++) {
      expect(await (await client.getCollection({ name: `cc${c}` })).count()).toBe((clients / collections) * perClient);
    }
  });
});
