/**
 * The oracle: the real Chroma server (chroma 1.4.4 from npm chromadb@3.5.0's native binding), run on
 * 127.0.0.1 for differential tests. `scripts/oracle/setup.sh` installs it into a cache folder
 * ($CHROMALITE_ORACLE_DIR, default ~/.cache/chromalite-oracle) with a private glibc; this module runs
 * that script once per process, starts servers under the private loader and stops them.
 *
 * Suites: `const oracle = await oracleAvailable()` at the top level, then
 * `describe.skipIf(!oracle.ok)(...)`, and `startOracle()` in `beforeAll` / `stop()` in `afterAll`.
 * Setup failing skips (with the reason) only off CI: with `CI` or `CHROMALITE_REQUIRE_ORACLE` set,
 * `oracleAvailable()` rejects instead, so a broken oracle cannot turn into a silently green run.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";

const SCRIPTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/oracle");
const SETUP_SCRIPT = path.join(SCRIPTS, "setup.sh");
const RUN_SCRIPT = path.join(SCRIPTS, "run-chroma.mjs");
const HOST = "127.0.0.1";
const LOADER = "glibc/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
const SETUP_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = Number(process.env.CHROMALITE_ORACLE_START_TIMEOUT_MS ?? 60_000);

/** The oracle could not be installed (setup.sh failed) on this machine. */
export class OracleUnavailableError extends Error {
  override name = "OracleUnavailableError";
}

/** A server was started but did not answer its heartbeat; the message ends with its log's tail. */
export class OracleStartError extends Error {
  override name = "OracleStartError";
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(`${message}\n--- oracle log (tail) ---\n${logTail}`);
  }
}

export interface OracleServer {
  host: string;
  port: number;
  url: string;
  /** The server's data folder (inside a temp folder that stop() removes, unless the caller gave it). */
  dataDir: string;
  pid: number;
  /** Kills exactly this server, waits for it to exit and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

export type OracleStatus = { ok: true; dir: string } | { ok: false; reason: string };

export function oracleDir(): string {
  return process.env.CHROMALITE_ORACLE_DIR || path.join(os.homedir(), ".cache", "chromalite-oracle");
}

let setupPromise: Promise<string> | undefined;

/** Runs setup.sh once per process (it is idempotent and takes a lock, so workers can race). */
function ensureInstalled(): Promise<string> {
  setupPromise ??= new Promise<string>((resolve, reject) => {
    execFile(
      "bash",
      [SETUP_SCRIPT, oracleDir()],
      { timeout: SETUP_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stderr}`.trim().split("\n").slice(-15).join("\n");
          reject(new OracleUnavailableError(`scripts/oracle/setup.sh failed (${err.message.split("\n")[0]}):\n${tail}`));
          return;
        }
        resolve(stdout.trim().split("\n").pop() ?? oracleDir());
      },
    );
  });
  return setupPromise;
}

/**
 * Installs the oracle if needed. `{ ok: false, reason }` when that cannot work here; on CI (or with
 * CHROMALITE_REQUIRE_ORACLE=1) it rejects instead, so differential suites fail rather than skip.
 */
export async function oracleAvailable(): Promise<OracleStatus> {
  const ci = process.env.CI;
  const required = (!!ci && ci !== "false" && ci !== "0") || process.env.CHROMALITE_REQUIRE_ORACLE === "1";
  if (process.platform !== "linux" || process.arch !== "x64") {
    const reason = `the Chroma oracle needs linux x64 (this is ${process.platform} ${process.arch})`;
    if (required) throw new OracleUnavailableError(reason);
    return { ok: false, reason };
  }
  try {
    return { ok: true, dir: await ensureInstalled() };
  } catch (err) {
    if (required) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`[oracle] differential tests skipped: ${reason}`);
    return { ok: false, reason: reason.split("\n")[0]! };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Whether process `pid` holds the listening socket on HOST:port. The heartbeat alone could come from
 * another process that took the port in the meantime (another test file's oracle, say).
 */
function listensOn(pid: number, port: number): boolean {
  let table: string;
  try {
    table = fs.readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return true; // no procfs: trust the heartbeat
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === local && cols[3] === "0A") inodes.add(cols[9]!);
  }
  if (inodes.size === 0) return false;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: "utf8" });
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

function logTail(file: string, lines = 30): string {
  try {
    // Drop the ANSI colour codes and the ASCII-art banner.
    // eslint-disable-next-line no-control-regex -- the escape character is what is removed
    const text = fs.readFileSync(file, "utf8").replace(/\u001b\[[0-9;]*m/g, "");
    return text
      .split("\n")
      .filter((l) => !/^\s*[(#]+[\s(#]*$/.test(l))
      .slice(-lines)
      .join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Servers of this process that are still running, killed on exit as a last resort. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    if (!(await waitForExit(child, 5000))) {
      child.kill("SIGKILL");
      await waitForExit(child, 5000);
    }
  }
  live.delete(child);
}

async function startOnce(
  dir: string,
  allowReset: boolean,
  existingDataDir: string | undefined,
): Promise<OracleServer | { retry: string }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-oracle-"));
  // A caller's own folder lies outside `root`, so stop() (which removes `root`) leaves it in place.
  const dataDir = existingDataDir === undefined ? path.join(root, "data") : path.resolve(existingDataDir);
  const logFile = path.join(root, "server.log");
  const cleanup = () => fs.rmSync(root, { recursive: true, force: true });
  const port = await freePort();
  const args = [RUN_SCRIPT, "--path", dataDir, "--port", String(port), "--host", HOST, "--exit-with-parent"];
  if (allowReset) args.push("--allow-reset", "--config-file", path.join(root, "chroma.yaml"));
  const loader = path.join(dir, LOADER);
  const libs = path.join(dir, path.dirname(LOADER));
  // Only this process runs under the private glibc; without one, the system's is new enough (setup.sh).
  const [command, argv] = fs.existsSync(loader)
    ? [loader, ["--library-path", `${libs}:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu`, process.execPath, ...args]]
    : [process.execPath, args];
  const log = fs.openSync(logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(command, argv, {
      stdio: ["ignore", log, log],
      env: { ...process.env, CHROMALITE_ORACLE_DIR: dir, NO_COLOR: "1" },
    });
  } finally {
    fs.closeSync(log);
  }
  installExitHook();
  live.add(child);
  // The server must not keep a test worker alive; stop() and the exit hook end it.
  child.unref();
  const pid = child.pid;
  const fail = async (message: string): Promise<never> => {
    await killAndWait(child);
    const tail = logTail(logFile);
    cleanup();
    throw new OracleStartError(message, tail);
  };
  if (pid === undefined) {
    await new Promise((r) => child.once("error", r).once("exit", r));
    return fail(`could not spawn the oracle (${command})`);
  }
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = logTail(logFile);
      if (/address already in use/i.test(tail)) {
        live.delete(child);
        cleanup();
        return { retry: `port ${port} was taken` };
      }
      return fail(`the oracle exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && listensOn(pid, port)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) return fail(`the oracle did not answer ${url}/api/v2/heartbeat within ${START_TIMEOUT_MS} ms`);
    await sleep(25);
  }
  let stopping: Promise<void> | undefined;
  return {
    host: HOST,
    port,
    url,
    dataDir,
    pid,
    stop: () =>
      (stopping ??= (async () => {
        await killAndWait(child);
        cleanup();
      })()),
  };
}

/**
 * Starts a fresh Chroma server on a free port of 127.0.0.1 with its own temp data folder. Call
 * `stop()` when done (e.g. in `afterAll`); it is also killed when this process exits.
 * With `dataDir`, the server runs on that folder instead (created if missing, e.g. to reopen a
 * persisted database in the benchmark) and `stop()` leaves it in place.
 */
export async function startOracle(opts: { allowReset?: boolean; dataDir?: string } = {}): Promise<OracleServer> {
  const dir = await ensureInstalled();
  let lastReason = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await startOnce(dir, opts.allowReset ?? false, opts.dataDir);
    if (!("retry" in started)) return started;
    lastReason = started.retry;
  }
  throw new OracleStartError(`could not start the oracle after 5 attempts (${lastReason})`, "");
}
