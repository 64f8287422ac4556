/**
 * Helpers for the data subcommands' tests: the built CLI as a child process (built first when
 * dist/ is missing or older than src/; killed by its own PID when the test ends), the commands in
 * process with captured output, and seeded data folders.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import { cliContext, type CliContext } from "../../src/cli/context.js";
import { PersistentClient, type Metadata } from "../../src/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "dist/cli/main.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a bare `vitest run` may find dist/ missing or older than src/. */
export function ensureBuilt(): void {
  if (!fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestMtime(path.join(ROOT, "src"))) {
    execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
      cwd: ROOT,
      stdio: "inherit",
    });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI child process with its output so far. */
export interface CliChild {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the built CLI (stdin is `stdin` when given, else closed); the child is killed by its PID when
 * the test finishes, pass or fail.
 */
export function spawnCli(args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string> } = {}): CliChild {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }
  });
  if (proc.stdin) {
    proc.stdin.on("error", () => undefined); // the child may exit before reading all of it
    proc.stdin.end(opts.stdin);
  }
  return { proc, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the built CLI to completion; the child is killed (by its PID) if the test ends first. */
export async function runCli(args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = spawnCli(args, { ...opts, stdin: opts.stdin ?? "" });
  const { code } = await child.exited;
  // 'exit' can come before the last output; 'close' follows once the pipes are drained.
  if (child.proc.stdout!.readable || child.proc.stderr!.readable) await new Promise((r) => child.proc.once("close", r));
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** One line on stderr and no stack trace: what every failure must look like without --verbose. */
export function expectOneLineError(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trim().split("\n");
  if (lines.length !== 1 || !pattern.test(lines[0]!) || /\n\s+at /.test(result.stderr)) {
    throw new Error(`expected one stderr line matching ${String(pattern)}, got:\n${result.stderr}`);
  }
}

/** A CLI context whose output is captured, for running a command in process. */
export function captureContext(): { ctx: CliContext; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  err.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return {
    ctx: cliContext({ stdout: out, stderr: err }),
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** Every file under `dir` with its size and mtime, to show a command left a folder as it was. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const st = fs.statSync(full);
        out[path.relative(dir, full)] = `${st.size}:${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

export interface SeedOptions {
  records?: number;
  dimension?: number;
  /** `plain` leaves out what Chroma's own server mishandles: arrays in collection metadata, float32 overflow. */
  values?: "tricky" | "plain";
}

/** Float32 values that a lossy export would break: tiny, huge, -0, subnormal, non-representable decimals. */
const TRICKY = [0.1, -0, 1e-8, 3.4e38, -1.17549435e-38, 1.4e-45, 1 / 3, 123456.789];

/**
 * A folder with a cosine collection (custom HNSW settings, collection metadata, documents, metadatas
 * with arrays, uris, nulls in every optional column) and an empty l2 one, its index saved.
 */
export async function seedFolder(dir: string, opts: SeedOptions = {}): Promise<void> {
  const n = opts.records ?? 300;
  const d = opts.dimension ?? 8;
  const client = new PersistentClient({ path: dir });
  try {
    const plain = opts.values === "plain";
    const docs = await client.createCollection({
      name: "docs",
      metadata: plain ? { owner: "me", version: 2 } : { owner: "me", version: 2, tags: ["a", "b"] },
      configuration: { hnsw: { space: "cosine", ef_construction: 120, ef_search: 77, max_neighbors: 12 } },
    });
    await client.createCollection({ name: "empty-one" });
    const ids: string[] = [];
    const embeddings: number[][] = [];
    const documents: (string | null)[] = [];
    const metadatas: (Metadata | null)[] = [];
    const uris: (string | null)[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(`id-${i}`);
      const first = plain ? 0.1 + i / 7 : TRICKY[i % TRICKY.length]!;
      embeddings.push(Array.from({ length: d }, (_, j) => (j === 0 ? first : Math.sin(i * 31 + j * 7) * 10)));
      documents.push(i % 3 === 0 ? null : `document ${i}: "quoted" ✓\nsecond line`);
      metadatas.push(i % 4 === 0 ? null : { i, half: i / 2, even: i % 2 === 0, tag: `t${i % 5}`, list: [i, i + 1] });
      uris.push(i % 5 === 0 ? `s3://bucket/${i}` : null);
    }
    await docs.add({ ids, embeddings, documents, metadatas, uris });
    await docs.waitForIndexing();
  } finally {
    await client.close();
  }
}

/** Everything a collection holds, in order, with embeddings as raw float32 bytes (bit-exact comparison). */
export async function dumpFolder(dir: string, opts: { tenant?: string; database?: string } = {}) {
  const client = new PersistentClient({ path: dir, ...opts });
  try {
    const out = [];
    for (const c of await client.listCollections()) {
      const got = await c.get({ include: ["embeddings", "documents", "metadatas", "uris"] });
      out.push({
        name: c.name,
        metadata: c.metadata ?? null,
        configuration: c.configuration,
        ids: got.ids,
        embeddings: got.embeddings.map((e) => Buffer.from(Float32Array.from(e).buffer).toString("hex")),
        documents: got.documents,
        metadatas: got.metadatas,
        uris: got.uris,
      });
    }
    return out;
  } finally {
    await client.close();
  }
}
