/** Process helpers: TypeScript children, the server child, memory figures from /proc, folder sizes, pauses. */
import { execFileSync, fork, type ChildProcess, type ForkOptions } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Forks a TypeScript module with tsx's loader (the harness runs from source, as `npm run bench`). */
export function forkTs(module: string, args: string[] = [], options: ForkOptions = {}): ChildProcess {
  return fork(module, args, {
    ...options,
    execArgv: ["--import", import.meta.resolve("tsx"), ...(options.execArgv ?? [])],
    serialization: "advanced",
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

let built = false;
/** Builds dist/ (`npm run build`, a few seconds) unless it is newer than every file in src/. */
function ensureBuilt(): void {
  if (built) return;
  const entry = path.join(ROOT, "dist/server/index.js");
  if (!fs.existsSync(entry) || fs.statSync(entry).mtimeMs < newestMtime(path.join(ROOT, "src"))) {
    console.error("bench: dist/ is missing or older than src/: npm run build");
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  }
  built = true;
}

/**
 * Forks chromalite's server child (lib/chromalite-server-main.mjs) with plain node on the built
 * package, as `chromalite run` runs; dist/ is rebuilt first if src/ changed since.
 */
export function forkServerChild(options: ForkOptions = {}): ChildProcess {
  ensureBuilt();
  return fork(path.join(import.meta.dirname, "chromalite-server-main.mjs"), [], { ...options, serialization: "advanced" });
}

function statusField(pid: number | "self", field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in bytes (VmHWM), or undefined off Linux. */
export const peakRss = (pid: number | "self" = "self") => statusField(pid, "VmHWM");
export const currentRss = (pid: number | "self" = "self") => statusField(pid, "VmRSS");

/** Resets this process's peak RSS to its current RSS (Linux `clear_refs` 5); false if not possible. */
export function resetPeakRss(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Bytes used on disk by a folder (allocated blocks, as `du`). */
export function diskUsage(dir: string): number {
  let total = 0;
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    total += st.blocks * 512;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  if (fs.existsSync(dir)) walk(dir);
  return total;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess, timeoutMs = Infinity): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
    child.once("exit", () => {
      if (timer) clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. Only this child's PID. */
export async function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  if (!(await exited(child, graceMs))) {
    child.kill("SIGKILL");
    await exited(child, 5000);
  }
}
