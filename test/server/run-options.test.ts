/**
 * The README's promises for `chromalite run`'s options and for `durability`: `--max-body-mb` (413
 * past it), `--timeout-ms` (504 past it, 0 = none), `--durability normal|full` (SQLite's
 * synchronous setting), `--verbose` (a debug line per operation and stack traces on stderr). The
 * flags are checked twice: what the command hands to startServer (in process), and what the real
 * CLI then does (as a child process).
 */
import { Command } from "commander";
import Database from "better-sqlite3";
import { afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { register } from "../../src/cli/commands/run.js";
import { PersistentClient } from "../../src/index.js";
import type * as ServerModule from "../../src/server/index.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/index.js";
import { captureContext, ensureBuilt, spawnCli, type CliChild } from "../cli/helpers.js";
import { tempDir } from "../helpers/tmp.js";
import { request, TD } from "./helpers.js";

// The command's own startServer, recorded and passed through to the real one.
vi.mock("../../src/server/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof ServerModule>();
  return { ...real, startServer: vi.fn(real.startServer) };
});

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => vi.restoreAllMocks());

/** The `synchronous` setting of every SQLite connection chromalite opens while `fn` runs (1 NORMAL, 2 FULL). */
async function synchronousSettings(fn: () => Promise<void>): Promise<number[]> {
  const seen = new Set<Database.Database>();
  const pragma = Object.getOwnPropertyDescriptor(Database.prototype, "pragma")!.value as Database.Database["pragma"];
  const spy = vi.spyOn(Database.prototype, "pragma").mockImplementation(function (this: Database.Database, ...args) {
    seen.add(this);
    return pragma.apply(this, args);
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return [...seen].filter((db) => db.open && !db.readonly).map((db) => db.pragma("synchronous", { simple: true }) as number);
}

describe("durability", () => {
  it("'full' has SQLite sync every commit (synchronous=FULL); the default is NORMAL, for the client and the server", async () => {
    const open = async (durability?: "normal" | "full") => {
      let client: PersistentClient | undefined;
      const settings = await synchronousSettings(async () => {
        client = await PersistentClient.open({ path: tempDir(), ...(durability ? { durability } : {}) });
      });
      await client!.close();
      return settings;
    };
    expect(await open("full")).toEqual([2]);
    expect(await open("normal")).toEqual([1]);
    expect(await open()).toEqual([1]);
    let server: RunningServer | undefined;
    const served = await synchronousSettings(async () => {
      server = await startServer({ path: tempDir(), port: 0, durability: "full" });
    });
    await server!.close();
    expect(served).toEqual([2]);
  });
});

describe("chromalite run: options", () => {
  /** Runs `chromalite run ARGS` in process; returns what it gave startServer. The server is closed afterwards. */
  async function runCommand(args: string[]): Promise<ServerOptions> {
    const mocked = vi.mocked(startServer);
    mocked.mockClear();
    const signals = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
    const program = new Command("chromalite").exitOverride();
    const { ctx } = captureContext();
    register(program, () => ctx);
    await program.parseAsync(["node", "chromalite", "run", "--path", tempDir(), "--port", "0", ...args]);
    // Only the CLI installs signal handlers: take this one's off again.
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      for (const l of process.listeners(signal)) if (!signals[signal].includes(l)) process.off(signal, l);
    }
    const running = (await mocked.mock.results[0]!.value) as RunningServer;
    onTestFinished(() => running.close());
    return mocked.mock.calls[0]![0];
  }

  it("hands --max-body-mb, --timeout-ms and --durability to the server, with the documented defaults", async () => {
    expect(await runCommand([])).toMatchObject({ maxBodyBytes: 32 * 1024 * 1024, requestTimeoutMs: 60_000, durability: "normal" });
    expect(await runCommand(["--max-body-mb", "3", "--timeout-ms", "1234", "--durability", "full"])).toMatchObject({
      maxBodyBytes: 3 * 1024 * 1024,
      requestTimeoutMs: 1234,
      durability: "full",
    });
    expect(await runCommand(["--timeout-ms", "0"])).toMatchObject({ requestTimeoutMs: 0 });
  });
});

/** Starts the real CLI and waits for its "serving ... at URL" line. */
async function serve(args: string[]): Promise<{ child: CliChild; url: string }> {
  const child = spawnCli(["run", "--port", "0", ...args]);
  await expect.poll(() => /serving .* at (http:\/\/[\d.:]+)/.test(child.stdout()) || child.proc.exitCode !== null, { timeout: 20_000 }).toBe(true);
  const m = /serving .* at (http:\/\/[\d.:]+)/.exec(child.stdout());
  if (!m) throw new Error(`the CLI did not start: ${child.stderr()}`);
  return { child, url: m[1]! };
}

/** The JSON log lines in a child's output (logs are JSON lines when stdout is not a terminal). */
function logLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function createCollection(url: string): Promise<string> {
  const res = await request(url, "POST", `${TD}/collections`, { name: "opts" });
  expect(res.status).toBe(200);
  return (res.body as { id: string }).id;
}

describe("chromalite run: options, as a child process", () => {
  it("--max-body-mb: a body past the limit gets 413, one under it is served", async () => {
    const { url } = await serve(["--path", tempDir(), "--max-body-mb", "1"]);
    const id = await createCollection(url);
    const embeddings = (n: number) => Array.from({ length: n }, (_, i) => [i, 0.123456789, 0.987654321, 0.5]);
    const small = { ids: Array.from({ length: 1000 }, (_, i) => `s${i}`), embeddings: embeddings(1000) }; // ~60 KB
    const large = { ids: Array.from({ length: 25_000 }, (_, i) => `l${i}`), embeddings: embeddings(25_000) }; // ~1.5 MB
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(1024 * 1024);
    expect((await request(url, "POST", `${TD}/collections/${id}/add`, small)).status).toBe(201);
    const refused = await request(url, "POST", `${TD}/collections/${id}/add`, large);
    expect(refused.status).toBe(413);
    expect(refused.text).toContain("limit of 1.00 MiB (1048576 bytes;");
    expect((await request(url, "GET", `${TD}/collections/${id}/count`)).body).toBe(1000);
  });

  it("--timeout-ms: an operation past it answers 504; 0 means none", async () => {
    const dir = tempDir();
    const seed = new PersistentClient({ path: dir });
    const c = await seed.createCollection({ name: "opts" });
    const n = 8000;
    for (let i = 0; i < n; i += 4000) {
      await c.add({ ids: Array.from({ length: 4000 }, (_, j) => `r${i + j}`), embeddings: Array.from({ length: 4000 }, (_, j) => Array.from({ length: 64 }, (_, k) => Math.sin(i + j + k))) });
    }
    await seed.close();
    const heavy = { include: ["embeddings", "documents", "metadatas"] };
    {
      const { child, url } = await serve(["--path", dir, "--timeout-ms", "1"]);
      const res = await request(url, "POST", `${TD}/collections/${c.id}/get`, heavy);
      expect(res.status).toBe(504);
      child.proc.kill("SIGTERM");
      expect((await child.exited).code).toBe(0);
    }
    const { url } = await serve(["--path", dir, "--timeout-ms", "0"]);
    const res = await request(url, "POST", `${TD}/collections/${c.id}/get`, heavy);
    expect(res.status).toBe(200);
    expect((res.body as { ids: string[] }).ids).toHaveLength(n);
  });

  it("--verbose: a debug line per operation in the log (stdout), and stack traces on failure", async () => {
    const dir = tempDir();
    const { child, url } = await serve(["--verbose", "--path", dir]);
    await createCollection(url);
    const debugLines = (text: string) => logLines(text).filter((l) => l.level === 20 && l.msg === "createCollection");
    await expect.poll(() => debugLines(child.stdout())).toEqual([expect.objectContaining({ op: "createCollection", ms: expect.any(Number) as number, ok: true })]);
    // Without --verbose, the same operation says nothing.
    const quiet = await serve(["--path", tempDir()]);
    await createCollection(quiet.url);
    expect(logLines(quiet.child.stdout()).filter((l) => (l.level as number) < 30)).toEqual([]);
    expect(quiet.child.stderr()).toBe("");
    // A failure (the folder is in use, so it cannot be held alone) with --verbose prints its stack.
    const second = spawnCli(["--verbose", "run", "--path", dir, "--port", "0", "--exclusive"]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/in use by other processes/);
    expect(second.stderr()).toMatch(/\n\s+at /);
  });
});
