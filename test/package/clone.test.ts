/**
 * A newcomer's first hour, for real: the repository is cloned (its HEAD) into a temp folder and the
 * README's two commands are run as the README spells them (read from it, so they cannot drift):
 * the main job's command (`npm ci && npx chromalite run ...`) must serve the heartbeat on 127.0.0.1
 * and stop cleanly on SIGTERM; the test command is what .ci/run runs, and its first part (`npm ci`)
 * is the one that just succeeded (the suite is not run again inside itself). Then `npm pack` in the
 * clone must hold the built package, and an app that installs the tarball must type-check
 * (`strict`, `skipLibCheck: false`; ESM and CommonJS), run every README example, and start the
 * same server with `npx chromalite run`. One clone (the slow part: `npm ci` builds the native
 * parts) serves every test here; temp folders and processes are removed even when a test fails.
 * `CHROMALITE_SKIP_CLONE_TEST=1` skips it (saying so), for a quick local run.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument, readmeExamples, unmetExpectation } from "../docs/readme-examples.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const LOCK = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
const isGit = fs.existsSync(path.join(ROOT, ".git"));
const skip = process.env.CHROMALITE_SKIP_CLONE_TEST === "1" || !isGit;
const why = !isGit ? "not a git checkout" : "CHROMALITE_SKIP_CLONE_TEST=1";

/** The README's first shell block: the main job's command, then the test command (comments dropped). */
function readmeCommands(): { main: string; test: string } {
  const block = /```sh\n([\s\S]*?)```/.exec(README)![1]!;
  const [main, test] = block
    .trim()
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim());
  return { main: main!, test: test! };
}

/** The environment of a newcomer's shell: nothing from the npm and vitest processes this runs under. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|NODE_ENV$|VITEST|NODE_OPTIONS$|TEST$)/i.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => !p.includes(`node_modules${path.sep}.bin`) && !p.includes("node-gyp-bin"))
    .join(path.delimiter);
  return { ...env, ...extra };
}

interface Job {
  /** Resolves with the exit code (null: killed by a signal) once the shell exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  /** Signals the whole process group (sh, npm, node). */
  signal: (sig: NodeJS.Signals) => void;
  running: () => boolean;
}

const jobs: Job[] = [];

/** Runs a shell command in its own process group, its output in a file (no pipe to fill up). */
function sh(command: string, opts: { cwd: string; env?: Record<string, string>; log: string }): Job {
  const fd = fs.openSync(opts.log, "w");
  const child = spawn("sh", ["-c", command], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ["ignore", fd, fd], detached: true });
  fs.closeSync(fd);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const job: Job = {
    exited,
    output: () => fs.readFileSync(opts.log, "utf8"),
    signal: (sig) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // the group is gone
      }
    },
    running: () => !done,
  };
  jobs.push(job);
  return job;
}

async function finished(job: Job, what: string): Promise<string> {
  const { code } = await job.exited;
  const out = job.output();
  if (code !== 0) throw new Error(`${what} exited with ${String(code)}:\n${out.slice(-4000)}`);
  return out;
}

/** Waits for the server's start line in a job's log and returns its URL. */
async function servingUrl(job: Job, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /serving .* at (http:\/\/[\d.]+:\d+)/.exec(job.output());
    if (m) return m[1]!;
    if (!job.running()) throw new Error(`the command exited before serving:\n${job.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no "serving" line after ${timeoutMs} ms:\n${job.output().slice(-4000)}`);
}

/** Servers started by the jobs (their start line names the PID), killed at the end if still there. */
const servers = new Set<number>();

/**
 * Heartbeat on 127.0.0.1, then SIGTERM to the server, as a process manager sends it: the server
 * closes the folder and exits 0, and so the whole command (sh, npm exec) exits 0.
 */
async function heartbeatThenStop(job: Job, url: string, folder: string): Promise<void> {
  const port = new URL(url).port;
  const res = await fetch(`http://127.0.0.1:${port}/api/v2/heartbeat`);
  expect(res.status).toBe(200);
  expect(Object.keys((await res.json()) as object)).toEqual(["nanosecond heartbeat"]);
  expect(fs.existsSync(path.join(folder, "chromalite.lock"))).toBe(true);
  const start = job.output().split("\n").find((l) => l.startsWith("{") && l.includes(" serving "));
  const pid = (JSON.parse(start!) as { pid: number }).pid;
  servers.add(pid);
  process.kill(pid, "SIGTERM");
  const { code } = await job.exited;
  expect(code, job.output().slice(-2000)).toBe(0);
  expect(job.output()).toMatch(/SIGTERM: finishing requests in flight and closing/);
  expect(job.output()).not.toMatch(/took too long/);
  expect(job.output()).toMatch(/"msg":"closed; exiting"/);
  expect(fs.existsSync(path.join(folder, "chromalite.lock"))).toBe(false);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let work = "";
let clone = "";
let mainJob: Job | undefined;

afterAll(async () => {
  for (const job of jobs) {
    if (job.running()) {
      job.signal("SIGKILL");
      await job.exited;
    }
  }
  for (const pid of servers) if (alive(pid)) process.kill(pid, "SIGKILL");
  if (!work) return;
  fs.rmSync(work, { recursive: true, force: true });
  // `npx chromalite` in the clone linked it into npm's npx cache, in a folder named by a hash of its
  // path (libnpmexec's scheme): that entry is this test's, so it goes too.
  const cache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8", env: cleanEnv() }).trim();
  for (const dir of new Set([clone, path.join(fs.realpathSync(path.dirname(work)), path.basename(work), "chromalite")])) {
    const hash = createHash("sha512").update(dir).digest("hex").slice(0, 16);
    fs.rmSync(path.join(cache, "_npx", hash), { recursive: true, force: true });
  }
});

describe.skipIf(skip)(`a fresh clone, as the README says${skip ? ` (SKIPPED: ${why})` : ""}`, () => {
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-clone-"));
    clone = path.join(work, "chromalite");
    const head = execFileSync("git", ["-C", ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    execFileSync("git", ["clone", "--quiet", "--no-checkout", ROOT, clone]);
    execFileSync("git", ["-C", clone, "checkout", "--quiet", head]);
  });

  it("the README's main command sets everything up and serves the heartbeat on 127.0.0.1; SIGTERM stops it cleanly", async () => {
    const { main } = readmeCommands();
    expect(main).toMatch(/^npm ci && npx chromalite run --path \.\/chroma-data$/);
    // CHROMALITE_PORT=0 (a free port, which the start line names) keeps it clear of anything on 8000.
    mainJob = sh(main, { cwd: clone, env: { CHROMALITE_PORT: "0" }, log: path.join(work, "main.log") });
    const url = await servingUrl(mainJob, 12 * 60_000);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mainJob.output()).toContain(`serving ${path.join(fs.realpathSync(clone), "chroma-data")} at`);
    await heartbeatThenStop(mainJob, url, path.join(clone, "chroma-data"));
    // `npm ci` printed no warning of ours (an unknown .npmrc key, install scripts left unreviewed).
    expect(mainJob.output()).not.toMatch(/Unknown project config|not yet covered by allowScripts|npm warn.*chromalite/i);
  }, 15 * 60_000);

  it("the README's test command is what CI runs, and its first part (npm ci) is the one that succeeded above", async () => {
    const { test, main } = readmeCommands();
    const ci = fs.readFileSync(path.join(clone, ".ci/run"), "utf8");
    const steps = ci
      .split("\n")
      .map((l) => l.trim())
      // Besides the test command, CI may only prepare the machine with the project's own scripts
      // (Debian's chromium for the browser tests).
      .filter((l) => l && !l.startsWith("#") && !/^(set |cd |bash scripts\/)/.test(l));
    expect(steps.join(" && ")).toBe(test);
    const first = test.split(" && ")[0]!;
    expect(main.startsWith(`${first} && `)).toBe(true);
    // That npm ci ran to the end: the main command went on past it (the server started above).
    expect(mainJob && (await mainJob.exited).code).toBe(0);
    expect(fs.existsSync(path.join(clone, "node_modules/.package-lock.json"))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(clone, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/build.*typecheck.*lint.*vitest run/);
  });

  describe("npm pack, and an app that installs the tarball", () => {
    let tarball = "";
    let app = "";

    beforeAll(async () => {
      const packed = await finished(sh("npm pack --json --silent", { cwd: clone, log: path.join(work, "pack.log") }), "npm pack");
      const [info] = JSON.parse(packed.slice(packed.indexOf("["))) as { filename: string }[];
      tarball = path.join(clone, info!.filename);
      app = path.join(work, "app");
      fs.mkdirSync(path.join(app, "src"), { recursive: true });
      const version = (name: string) => LOCK.packages[`node_modules/${name}`]!.version;
      fs.writeFileSync(
        path.join(app, "package.json"),
        JSON.stringify({
          name: "newcomer-app",
          private: true,
          type: "module",
          dependencies: { chromalite: `file:${tarball}` },
          devDependencies: { typescript: version("typescript"), "@types/node": version("@types/node") },
        }),
      );
      await finished(sh("npm install --no-audit --no-fund --prefer-offline", { cwd: app, log: path.join(work, "app-install.log") }), "npm install in the app");
    }, 12 * 60_000);

    it("npm pack holds the built package and nothing of the workshop", () => {
      const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
      for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "binding.gyp", "native/vector_index.cc", "bin/chromalite.mjs", "dist/index.js", "dist/index.d.ts", "dist/server/index.js", "dist/server/index.d.ts", "dist/cli/main.js"]) {
        expect(files, f).toContain(f);
      }
      expect(files.filter((f) => /^(src|test|bench|build|node_modules|scripts|docs|\.ci)\//.test(f))).toEqual([]);
      expect(fs.readFileSync(path.join(clone, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0/);
    });

    it("type-checks with strict and skipLibCheck: false, as ESM and as CommonJS, and runs as both", () => {
      const tsc = path.join(app, "node_modules/typescript/bin/tsc");
      const compilerOptions = {
        strict: true,
        skipLibCheck: false,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022", "esnext.disposable"],
        types: ["node"],
        outDir: "out",
      };
      const esm = path.join(app, "esm-check");
      const cjs = path.join(app, "cjs-check");
      const program = `
import { InvalidArgumentError, PersistentClient, type Metadata, type QueryResult } from "chromalite";
import { startServer, type RunningServer } from "chromalite/server";

async function main(dir: string): Promise<void> {
  const client = new PersistentClient({ path: dir });
  const c = await client.createCollection({ name: "typed" });
  const metadata: Metadata = { kind: "fruit" };
  await c.add({ ids: ["a"], embeddings: [[1, 2, 3]], metadatas: [metadata] });
  const hits: QueryResult = await c.query({ queryEmbeddings: [[1, 2, 3]], nResults: 1 });
  await c.add({ ids: ["b"], embeddings: [[1, 2]] }).catch((err: unknown) => console.log("typed error:", err instanceof InvalidArgumentError));
  await client.close();
  const server: RunningServer = await startServer({ path: dir, port: 0 });
  const beat = await fetch(server.url + "/api/v2/heartbeat");
  await server.close();
  console.log(JSON.stringify(hits.ids), beat.status);
}
void main(process.argv[2]!);
`;
      for (const [dir, type] of [[esm, "module"], [cjs, "commonjs"]] as const) {
        fs.mkdirSync(path.join(dir, "src"), { recursive: true });
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type }));
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...compilerOptions, rootDir: "src" }, include: ["src"] }));
        fs.writeFileSync(path.join(dir, "src/main.ts"), program);
        execFileSync(process.execPath, [tsc, "-p", dir], { cwd: dir, encoding: "utf8" });
        const out = execFileSync(process.execPath, [path.join(dir, "out/main.js"), fs.mkdtempSync(path.join(work, `${type}-`))], { cwd: dir, encoding: "utf8", env: cleanEnv() });
        expect(out, type).toBe('typed error: true\n[["a"]] 200\n');
      }
      expect(fs.readFileSync(path.join(cjs, "out/main.js"), "utf8"), "compiled to require()").toMatch(/require\("chromalite"\)/);
    }, 180_000);

    it("runs every README example (compiled strict, skipLibCheck: false) and prints what each says", () => {
      const blocks = readmeExamples(README);
      expect(blocks.length).toBeGreaterThanOrEqual(5);
      const src = path.join(app, "src");
      fs.writeFileSync(path.join(src, "print.ts"), "export const print = (...a: unknown[]): void => console.log(a.map((x) => JSON.stringify(x)).join(' '));\n");
      const cases = blocks.map((block, n) => {
        const folder = fs.mkdtempSync(path.join(work, `example-${n + 1}-`));
        const { source, expectations } = instrument(block.replaceAll('"./chroma-data"', JSON.stringify(folder)), "print");
        fs.writeFileSync(path.join(src, `example-${n + 1}.ts`), `import { print } from "./print.js";\n${source}\nexport {};\n`);
        return { n: n + 1, expectations };
      });
      fs.writeFileSync(
        path.join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { strict: true, skipLibCheck: false, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "esnext.disposable"], types: ["node"], rootDir: "src", outDir: "out" },
          include: ["src"],
        }),
      );
      execFileSync(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app, encoding: "utf8" });
      for (const { n, expectations } of cases) {
        const out = execFileSync(process.execPath, [path.join(app, `out/example-${n}.js`)], { cwd: app, encoding: "utf8", env: cleanEnv() });
        const unmet = unmetExpectation(out.trim().split("\n"), expectations);
        expect(unmet === undefined, `example ${n}: ${unmet}`).toBe(true);
      }
    }, 180_000);

    it("starts the same server with `npx chromalite run` in the app", async () => {
      const job = sh("npx chromalite run", { cwd: app, env: { CHROMALITE_PORT: "0" }, log: path.join(work, "app-run.log") });
      const url = await servingUrl(job, 60_000);
      expect(job.output()).toContain(`serving ${path.join(fs.realpathSync(app), "chroma-data")} at`);
      await heartbeatThenStop(job, url, path.join(app, "chroma-data"));
    }, 120_000);
  });
});
