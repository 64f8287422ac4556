/**
 * `chromalite stats` and `chromalite verify`: the real CLI as child processes for the behaviour a user
 * sees (output, exit codes, one-line errors, the folder left untouched), in process for the finer
 * damage cases.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { verifyFolder } from "../../src/engine/verify.js";
import { PersistentClient } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { tempDir } from "../helpers/tmp.js";
import { ensureBuilt, expectOneLineError, runCli, seedFolder, snapshot } from "./helpers.js";

beforeAll(() => ensureBuilt(), 120_000);

/** A seeded folder, made once and copied per test (seeding builds an index: the slow part). */
let seeded: string;
beforeAll(async () => {
  seeded = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "chromalite-cli-seed-"));
  await seedFolder(seeded, { records: 600 });
  return () => fs.rmSync(seeded, { recursive: true, force: true });
}, 60_000);

function copyOfSeed(): string {
  const dir = tempDir();
  fs.cpSync(seeded, dir, { recursive: true });
  return dir;
}

function indexFile(dir: string, prefix: "hnsw" | "deleted"): string {
  const root = path.join(dir, "index");
  for (const id of fs.readdirSync(root)) {
    const name = fs.readdirSync(path.join(root, id)).find((n) => n.startsWith(`${prefix}-`));
    if (name) return path.join(root, id, name);
  }
  throw new Error(`no ${prefix} file in ${root}`);
}

/** Overwrites whole pages in the middle of the database file with a fixed pattern. */
function corruptPages(file: string): void {
  const fd = fs.openSync(file, "r+");
  try {
    const header = Buffer.alloc(100);
    fs.readSync(fd, header, 0, 100, 0);
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const pages = Math.floor(fs.fstatSync(fd).size / pageSize);
    const garbage = Buffer.alloc(pageSize, 0xab);
    for (let p = Math.floor(pages / 4); p < Math.floor((3 * pages) / 4); p += 5) fs.writeSync(fd, garbage, 0, pageSize, p * pageSize);
  } finally {
    fs.closeSync(fd);
  }
}

describe("chromalite stats", () => {
  it("prints a table and JSON of collections, counts, dimensions, index state and sizes, changing nothing", async () => {
    const dir = copyOfSeed();
    const before = snapshot(dir);
    const table = await runCli(["stats", "--path", dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/2 collections, 600 records, .* on disk \(SQLite .*, vector indexes .*\)/);
    expect(table.stdout).toMatch(/TENANT\s+DATABASE\s+COLLECTION\s+ID\s+COUNT\s+DIM\s+SPACE\s+INDEXED\s+PENDING\s+INDEX SIZE/);
    expect(table.stdout).toMatch(/default_tenant\s+default_database\s+docs\s+[0-9a-f-]{36}\s+600\s+8\s+cosine\s+600\s+0\s+\d/);
    expect(table.stdout).toMatch(/empty-one\s+[0-9a-f-]{36}\s+0\s+-\s+l2\s+0\s+0\s+0 B/);

    const json = await runCli(["stats", "--path", dir, "--json"]);
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout) as {
      path: string;
      bytes: { total: number; sqlite: number; index: number };
      collections: { name: string; count: number; dimension: number | null; space: string; index: { indexed: number; pending: number; bytes: number; state: string } }[];
    };
    expect(stats.path).toBe(fs.realpathSync(dir));
    expect(stats.bytes.total).toBeGreaterThanOrEqual(stats.bytes.sqlite + stats.bytes.index);
    expect(stats.bytes.sqlite).toBe(fs.statSync(path.join(dir, "chroma.sqlite3")).size);
    expect(stats.collections.map((c) => [c.name, c.count, c.dimension, c.space])).toEqual([
      ["docs", 600, 8, "cosine"],
      ["empty-one", 0, null, "l2"],
    ]);
    expect(stats.collections[0]!.index).toMatchObject({ state: "saved", indexed: 600, pending: 0 });
    expect(stats.collections[0]!.index.bytes).toBeGreaterThan(0);
    expect(snapshot(dir)).toEqual(before); // no -wal, -shm or lock left behind
  });

  it("reads a folder a server has open, saying so", async () => {
    const dir = copyOfSeed();
    const server = await startServer({ path: dir, port: 0, host: "127.0.0.1" });
    onTestFinished(() => server.close());
    const result = await runCli(["stats", "--path", dir, "--json"]);
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout) as { inUse?: boolean; inUseBy?: number; collections: { count: number }[] };
    // The server shares the folder (the default): who holds it is not recorded, only that it is in use.
    expect(stats.inUse).toBe(true);
    expect(stats.inUseBy).toBeUndefined();
    expect(stats.collections[0]!.count).toBe(600);
    const table = await runCli(["stats", "--path", dir]);
    expect(table.stdout).toContain("in use by other processes");
  });

  it("names the holder of a folder held exclusively", async () => {
    const dir = copyOfSeed();
    const client = await PersistentClient.open({ path: dir, exclusive: true });
    onTestFinished(() => client.close());
    const table = await runCli(["stats", "--path", dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`in use by process ${process.pid}`);
  });

  it("fails with one line for a folder without data, and has --help", async () => {
    const missing = await runCli(["stats", "--path", path.join(tempDir(), "nothing-here")]);
    expect(missing.code).toBe(2);
    expectOneLineError(missing, /^chromalite: .*nothing-here does not exist$/);
    const help = await runCli(["stats", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: chromalite stats/);
    expect(help.stdout).toContain("--json");
  });
});

describe("chromalite verify", () => {
  it("passes a healthy folder (exit 0), one line per collection, leaving it exactly as it was", async () => {
    const dir = copyOfSeed();
    const before = snapshot(dir);
    const result = await runCli(["verify", "--path", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok\s+sqlite: integrity check passed/m);
    expect(result.stdout).toMatch(/^ok\s+default_tenant\/default_database\/docs: 600 records, 600 in the saved index \+ 0 to catch up, 200\/200 sampled records found/m);
    expect(result.stdout).toMatch(/^ok\s+default_tenant\/default_database\/empty-one: 0 records/m);
    expect(result.stderr).toBe("");
    expect(snapshot(dir)).toEqual(before);
  });

  it("detects a truncated index file (exit 3), and --repair rebuilds it from SQLite", async () => {
    const dir = copyOfSeed();
    const file = indexFile(dir, "hnsw");
    const half = Math.floor(fs.statSync(file).size / 2);
    fs.truncateSync(file, half);
    const damaged = await runCli(["verify", "--path", dir]);
    expect(damaged.code).toBe(3);
    expect(damaged.stdout).toMatch(new RegExp(`^DAMAGED\\s+default_tenant/default_database/docs \\([0-9a-f-]{36}\\): index file .*${path.basename(file)} is damaged \\(size`, "m"));
    expectOneLineError(damaged, /^chromalite: .* is damaged \(1 problem\): run again with --repair/);
    expect(fs.statSync(file).size).toBe(half); // verify alone repaired nothing

    const repaired = await runCli(["verify", "--path", dir, "--repair"]);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/rebuilding the vector index of default_tenant\/default_database\/docs from SQLite/);
    expect(repaired.stdout).toMatch(/after repair:\n(.|\n)*^ok\s+default_tenant\/default_database\/docs: 600 records, 600 in the saved index/m);
    expect((await runCli(["verify", "--path", dir])).code).toBe(0);
    // The rebuilt index answers queries.
    const client = new PersistentClient({ path: dir });
    onTestFinished(() => client.close());
    const docs = await client.getCollection({ name: "docs" });
    const [first] = (await docs.get({ ids: ["id-7"], include: ["embeddings"] })).embeddings;
    // Every 8th seeded vector is ~(123456.789, small, ...): dozens point the same way, cosine ties at
    // distance ~0, so any of them may come first. The rebuilt index must find one of those ties.
    const hits = await docs.query({ queryEmbeddings: [first!], nResults: 1, include: ["distances"] });
    expect(hits.ids[0]).toHaveLength(1);
    expect(Number(hits.ids[0]![0]!.slice(3)) % 8).toBe(7);
    expect(hits.distances[0]![0]!).toBeLessThan(1e-5);
  });

  it("detects a corrupted SQLite page (exit 3), and --repair refuses to touch SQLite", async () => {
    const dir = copyOfSeed();
    corruptPages(path.join(dir, "chroma.sqlite3"));
    const result = await runCli(["verify", "--path", dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^DAMAGED\s+sqlite: /m);
    expectOneLineError(result, /^chromalite: .* is damaged \(\d+ problems?\)$/);
    const repair = await runCli(["verify", "--path", dir, "--repair", "--json"]);
    expect(repair.code).toBe(3);
    expect(repair.stderr).toMatch(/SQLite itself is damaged: not repairing/);
    const report = JSON.parse(repair.stdout) as { ok: boolean; sqlite: { ok: boolean }; repaired: string[] };
    expect(report).toMatchObject({ ok: false, sqlite: { ok: false }, repaired: [] });
  });

  it("reports a database file that is not SQLite at all", async () => {
    const dir = copyOfSeed();
    fs.writeFileSync(path.join(dir, "chroma.sqlite3"), Buffer.alloc(64 * 1024, "not a database "));
    const result = await runCli(["verify", "--path", dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^DAMAGED\s+sqlite: .*file is not a database/m);
  });

  it("verifies a folder in use, saying so; repairs only a folder it can hold alone (exit 1, one line); bad options exit 2", async () => {
    const dir = copyOfSeed();
    const client = await PersistentClient.open({ path: dir });
    onTestFinished(() => client.close());
    const shared = await runCli(["verify", "--path", dir]);
    expect(shared.code).toBe(0);
    expect(shared.stdout).toMatch(/^note\s+in use by other processes/m);
    // A damaged index with the folder in use: --repair refuses rather than rebuild under the other process.
    const c = await client.getCollection({ name: "docs" });
    await client.flush();
    const manifest = path.join(dir, "index", c.id, "index.json");
    fs.writeFileSync(manifest, "{not json");
    const busy = await runCli(["verify", "--path", dir, "--repair"]);
    expect(busy.code).toBe(1);
    expectOneLineError(busy, /^chromalite: .*in use by other processes.*cannot be held exclusively/);
    const bad = await runCli(["verify", "--path", dir, "--sample", "zero"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sample must be an integer/);
    const verbose = await runCli(["verify", "--path", dir, "--repair", "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /); // the stack, only with --verbose
  });

  it("accepts an index that is behind SQLite (writes and deletes since its save are caught up on open)", async () => {
    const dir = copyOfSeed();
    const client = new PersistentClient({ path: dir });
    onTestFinished(() => client.close());
    const docs = await client.getCollection({ name: "docs" });
    await docs.delete({ ids: ["id-1", "id-2", "id-3"] });
    await docs.upsert({ ids: ["id-4", "new-1"], embeddings: [[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]] });
    // A copy while the client is open: the index files as saved before these writes, SQLite (with its WAL) after.
    const crashed = tempDir();
    for (const name of fs.readdirSync(dir)) {
      if (name !== "chromalite.lock" && !name.endsWith("-shm")) fs.cpSync(path.join(dir, name), path.join(crashed, name), { recursive: true });
    }
    const report = await verifyFolder(crashed);
    expect(report.problems).toEqual([]);
    const c = report.collections.find((r) => r.name === "docs")!;
    expect(c).toMatchObject({ count: 598, pending: 2, indexed: 596 });
  });

  it("finds vectors of records gone without a trace, and index vectors that differ from SQLite", async () => {
    const gone = copyOfSeed();
    const db1 = new Database(path.join(gone, "chroma.sqlite3"));
    // Deleted with their filter rows but without the tombstones the index catch-up relies on.
    db1.prepare("DELETE FROM record_meta WHERE rid IN (SELECT rid FROM records WHERE id IN ('id-10', 'id-11'))").run();
    db1.prepare("DELETE FROM records WHERE id IN ('id-10', 'id-11')").run();
    db1.close();
    const r1 = await verifyFolder(gone);
    expect(r1.ok).toBe(false);
    expect(r1.problems.join("\n")).toMatch(/docs .*: the index holds 2 vectors of records SQLite does not have/);
    expect(r1.collections.find((c) => c.name === "docs")!.indexRepairable).toBe(true);

    const changed = copyOfSeed();
    const db2 = new Database(path.join(changed, "chroma.sqlite3"));
    // Every record's vector replaced behind the index's back (no new log position).
    db2.prepare("UPDATE vectors SET embedding = ?").run(Buffer.from(new Float32Array(8).fill(0.5).buffer));
    db2.close();
    const r2 = await verifyFolder(changed, { sample: 50 });
    expect(r2.problems.join("\n")).toMatch(/50 sampled records of 50 have another vector in the index than in SQLite/);
  });
});

/**
 * A read-only view of `dir`: a read-only bind mount when running as root (root ignores permission
 * bits), else the folder with its write bits removed. Undefined when neither can be made here.
 */
function readOnlyView(dir: string): string | undefined {
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o555);
    onTestFinished(() => fs.chmodSync(dir, 0o755));
    return dir;
  }
  const view = tempDir();
  try {
    execFileSync("mount", ["--bind", dir, view], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  onTestFinished(() => void execFileSync("umount", [view]));
  execFileSync("mount", ["-o", "remount,ro,bind", view]);
  return view;
}

describe("a read-only folder", () => {
  it("stats and verify read it without creating anything in it (no lock file, no -shm)", async (ctx) => {
    const dir = copyOfSeed();
    const view = readOnlyView(dir);
    if (!view) return ctx.skip();
    expect(() => fs.writeFileSync(path.join(view, "probe"), "")).toThrow();
    const before = snapshot(dir);
    const stats = await runCli(["stats", "--path", view, "--json"]);
    expect(stats.stderr).toBe("");
    expect(stats.code).toBe(0);
    expect((JSON.parse(stats.stdout) as { collections: { count: number }[] }).collections.map((c) => c.count)).toEqual([600, 0]);
    const verify = await runCli(["verify", "--path", view]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/ok\s+sqlite: integrity check passed/);
    expect(snapshot(dir)).toEqual(before);
  });
});
