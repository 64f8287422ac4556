/**
 * The CLI on a folder another process is using: `stats`, `verify`, `export` and `copy` (the built
 * CLI, as child processes) and `run` (the server) work while a PersistentClient in another process
 * holds the folder and keeps writing, and each sees every write that process acknowledged before it
 * started; the server's writes are seen by that process too.
 */
import { ChromaClient } from "chromadb";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, spawnCli, type CliChild } from "../cli/helpers.js";
import { tempDir } from "../helpers/tmp.js";
import { openProcs, type CollectionInfo, type Proc } from "./harness.js";

beforeAll(() => ensureBuilt(), 120_000);

const vec = (i: number) => [Math.sin(i), Math.cos(i), i / 1000];

async function addRange(p: Proc, c: string, from: number, to: number): Promise<void> {
  const ids = Array.from({ length: to - from }, (_, k) => `r${from + k}`);
  await p.col(c, "add", { ids, embeddings: ids.map((_, k) => vec(from + k)), documents: ids.map((id) => `doc ${id}`) });
}

async function serving(child: CliChild): Promise<{ host: string; port: number }> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const m = /serving .* at http:\/\/([\d.]+):(\d+)/.exec(child.stdout());
    if (m) return { host: m[1]!, port: Number(m[2]) };
    if (child.proc.exitCode !== null) throw new Error(`chromalite run exited: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`chromalite run did not start: ${child.stderr()}`);
}

describe("the CLI on a folder another process is writing to", () => {
  it("stats, export and copy see the other process's acknowledged writes", async () => {
    const dir = tempDir("chromalite-mp-cli-");
    const [writer] = await openProcs(1, dir, {}, "W");
    const c = (await writer!.client<CollectionInfo>("createCollection", { name: "live" })).id;
    await addRange(writer!, c, 0, 200);

    const stats = await runCli(["stats", "--path", dir, "--json"]);
    expect(stats.code, stats.stderr).toBe(0);
    const counted = (JSON.parse(stats.stdout) as { collections: { name: string; count: number }[] }).collections;
    expect(counted).toEqual([expect.objectContaining({ name: "live", count: 200 })]);

    await addRange(writer!, c, 200, 250);
    await writer!.col(c, "delete", { ids: ["r0", "r1"] });
    const exported = await runCli(["export", "--path", dir]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type?: string; collection?: string; id?: string });
    const records = lines.filter((l) => l.type === undefined && l.collection === "live");
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: 248 }, (_, k) => `r${k + 2}`));

    await addRange(writer!, c, 250, 260);
    const target = tempDir("chromalite-mp-cli-copy-");
    const copy = await runCli(["copy", "--from", dir, "--to", target, "--quiet"]);
    expect(copy.code, copy.stderr).toBe(0);
    const [check] = await openProcs(1, target, {}, "C");
    const copied = await check!.client<CollectionInfo>("getCollection", { name: "live" });
    expect(await check!.col(copied.id, "count")).toBe(258);

    // And the writer kept its folder all along.
    await addRange(writer!, c, 260, 261);
    expect(await writer!.col(c, "count")).toBe(259);
  });

  it("verify checks a folder another process is writing to", async () => {
    const dir = tempDir("chromalite-mp-cli-verify-");
    const [writer] = await openProcs(1, dir, {}, "W");
    const c = (await writer!.client<CollectionInfo>("createCollection", { name: "live" })).id;
    await addRange(writer!, c, 0, 200);
    await writer!.col(c, "delete", { ids: ["r7"] });
    const verify = await runCli(["verify", "--path", dir]);
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    await addRange(writer!, c, 200, 210);
    expect(await writer!.col(c, "count")).toBe(209);
  });

  it("chromalite run serves a folder another process writes to, both ways", async () => {
    const dir = tempDir("chromalite-mp-cli-run-");
    const [writer] = await openProcs(1, dir, {}, "W");
    const c = (await writer!.client<CollectionInfo>("createCollection", { name: "served" })).id;
    await addRange(writer!, c, 0, 20);
    const server = spawnCli(["run", "--path", dir, "--port", "0"]);
    const { host, port } = await serving(server);
    const http = await new ChromaClient({ host, port }).getCollection({ name: "served", embeddingFunction: null } as never);
    expect(await http.count()).toBe(20);
    await addRange(writer!, c, 20, 30);
    expect(await http.count()).toBe(30);
    const q = await http.query({ queryEmbeddings: [vec(25)], nResults: 1 });
    expect(q.ids[0]).toEqual(["r25"]);
    await http.add({ ids: ["via-http"], embeddings: [[0, 0, 1]] });
    expect(await writer!.col(c, "count")).toBe(31);
    expect((await writer!.col<{ ids: string[][] }>(c, "query", { queryEmbeddings: [[0, 0, 1]], nResults: 1 })).ids[0]).toEqual(["via-http"]);
  });
});
