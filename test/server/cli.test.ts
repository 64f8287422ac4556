/**
 * The real `chromalite` CLI (dist/cli/main.js, built first if stale) as a child process: help, errors,
 * and SIGTERM with a request in flight. Every child is killed by its own PID when a test ends.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { ChromaClient } from "chromadb";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";
import { CLI, ensureBuilt, spawnCli, type CliChild } from "../cli/helpers.js";
import { TD } from "./helpers.js";

beforeAll(() => ensureBuilt(), 120_000);

/** Spawns the CLI; the child is killed (by its PID) when the test finishes, pass or fail. */
function cli(args: string[], env: Record<string, string> = {}): CliChild {
  return spawnCli(args, { env });
}

/** Waits for the "serving ... at http://host:port" line. */
async function serving(child: CliChild): Promise<{ url: string; host: string; port: number }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /serving .* at (http:\/\/([\d.]+):(\d+))/.exec(child.stdout());
    if (m) return { url: m[1]!, host: m[2]!, port: Number(m[3]) };
    if (child.proc.exitCode !== null) throw new Error(`the CLI exited early: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the CLI did not start: ${child.stderr()}`);
}

describe("chromalite CLI", () => {
  it("starts with the shebang and prints help for the program and for run", async () => {
    expect(fs.readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const help = cli(["--help"]);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toMatch(/Usage: chromalite/);
    expect(help.stdout()).toMatch(/run \[options\]/);
    const runHelp = cli(["run", "--help"]);
    expect((await runHelp.exited).code).toBe(0);
    for (const flag of ["--path", "--host", "--port", "--auth-token", "--access-log", "--allow-reset"]) {
      expect(runHelp.stdout()).toContain(flag);
    }
    const bad = cli(["run", "--port", "99999"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/--port/);
  });

  it("two servers share one folder: what one acknowledges, the other serves at once", async () => {
    const dir = tempDir();
    const a = await serving(cli(["run", "--path", dir, "--port", "0"]));
    const b = await serving(cli(["run", "--path", dir, "--port", "0"]));
    const ca = await new ChromaClient({ host: a.host, port: a.port }).createCollection({ name: "shared", embeddingFunction: null });
    const cb = await new ChromaClient({ host: b.host, port: b.port }).getCollection({ name: "shared" });
    for (let i = 0; i < 5; i++) {
      await ca.add({ ids: [`a${i}`], embeddings: [[10 + i, 0, 0]] });
      expect(await cb.count()).toBe(2 * i + 1);
      await cb.add({ ids: [`b${i}`], embeddings: [[0, 0, 10 + i]] });
      expect((await ca.query({ queryEmbeddings: [[0, 0, 10 + i]], nResults: 1 })).ids).toEqual([[`b${i}`]]);
    }
  });

  it("prints one line and exits 1 when the folder is held exclusively (by --exclusive), or when --exclusive finds it in use", async () => {
    const dir = tempDir();
    const first = cli(["run", "--path", dir, "--port", "0", "--exclusive"]);
    await serving(first);
    const shared = cli(["run", "--path", dir, "--port", "0"]);
    expect((await shared.exited).code).toBe(1);
    expect(shared.stderr()).toMatch(/held exclusively by process \d+/);
    const second = cli(["run", "--path", dir, "--port", "0", "--exclusive"]);
    const { code } = await second.exited;
    expect(code).toBe(1);
    const lines = second.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chromalite: .*held exclusively by process \d+/);
    expect(second.stderr()).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });

  it("serves the official client, with a token from the environment", async () => {
    const dir = tempDir();
    const child = cli(["run", "--path", dir, "--port", "0", "--access-log"], { CHROMALITE_AUTH_TOKEN: "tok" });
    const { host, port } = await serving(child);
    const anonymous = await fetch(`http://${host}:${port}${TD}/collections`);
    expect(anonymous.status).toBe(401);
    const client = new ChromaClient({ host, port, headers: { "x-chroma-token": "tok" } });
    const c = await client.createCollection({ name: "via_cli", embeddingFunction: null });
    await c.add({ ids: ["a"], embeddings: [[1, 2, 3]] });
    expect(await c.count()).toBe(1);
    // The access log: one JSON line per request (pino's fields, pino-http's names).
    const requests = () =>
      child.stdout().split("\n").filter((l) => l.includes('"req"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await expect.poll(requests).toContainEqual(
      expect.objectContaining({
        level: 30,
        time: expect.any(Number) as number,
        msg: "POST /api/v2/tenants/default_tenant/databases/default_database/collections 200",
        req: expect.objectContaining({ method: "POST", url: "/api/v2/tenants/default_tenant/databases/default_database/collections" }) as object,
        res: { statusCode: 200 },
        responseTime: expect.any(Number) as number,
      }),
    );
  });

  it("on SIGTERM finishes the request in flight, releases the folder and exits cleanly (not by the 2 s hard stop)", async () => {
    const dir = tempDir();
    const child = cli(["run", "--path", dir, "--port", "0"]);
    const { url, host, port } = await serving(child);
    const client = new ChromaClient({ host, port });
    const c = await client.createCollection({ name: "durable", embeddingFunction: null });
    await c.add({ ids: ["a", "b"], embeddings: [[1, 0], [0, 1]], documents: ["A", "B"] });

    // A request whose body is half sent when the signal arrives.
    const body = Buffer.from(JSON.stringify({ ids: ["late"], embeddings: [[0.5, 0.5]], documents: ["in flight"] }));
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${url}${TD}/collections/${c.id}/add`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.write(body.subarray(0, 10));
      setTimeout(() => {
        child.proc.kill("SIGTERM");
        setTimeout(() => req.end(body.subarray(10)), 300);
      }, 200);
    });
    expect(await response).toBe(201);
    const { code } = await child.exited;
    // 0 and no complaint: it closed by itself, not by the hard stop (exit 1, "took too long").
    expect(code).toBe(0);
    expect(child.stdout()).toMatch(/SIGTERM: finishing requests in flight and closing/);
    expect(child.stdout()).not.toMatch(/took too long/);
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);

    const reopened = new PersistentClient({ path: dir });
    onTestFinished(() => reopened.close());
    const col = await reopened.getCollection({ name: "durable" });
    const got = await col.get({ include: ["documents", "embeddings"] });
    expect(got.ids).toEqual(["a", "b", "late"]);
    expect(got.documents).toEqual(["A", "B", "in flight"]);
    expect(got.embeddings[2]).toEqual([0.5, 0.5]);
  });

  it("exits cleanly on SIGINT when idle", async () => {
    const dir = tempDir();
    const child = cli(["run", "--path", dir, "--port", "0"]);
    await serving(child);
    child.proc.kill("SIGINT");
    expect((await child.exited).code).toBe(0);
    expect(child.stdout()).toMatch(/SIGINT: finishing requests in flight and closing/);
    expect(child.stdout()).not.toMatch(/took too long/);
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);
  });
});
