/**
 * The child processes and temp folder of one benchmark run, cleaned up on every exit path: normal
 * end, failure, SIGINT/SIGTERM. Every child is stopped by its own PID.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { forkTs, terminate } from "./proc.js";

export class Run {
  readonly tmp: string;
  readonly #live = new Set<ChildProcess>();
  readonly #stops = new Set<() => Promise<void>>();
  #cleaned = false;
  /** Set on SIGINT/SIGTERM: the run is being stopped; start nothing more, write nothing. */
  stopping = false;

  constructor(prefix: string) {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        this.stopping = true;
        console.error(`\n${sig}: stopping the benchmark's processes and removing ${this.tmp}`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** A fresh folder inside the run's temp folder. */
  folder(name: string): string {
    return fs.mkdtempSync(path.join(this.tmp, `${name}-`));
  }

  /** Runs `stop` at cleanup unless the returned function is called first (servers started elsewhere). */
  track(stop: () => Promise<void>): () => void {
    this.#stops.add(stop);
    return () => this.#stops.delete(stop);
  }

  /** Forks `module`, keeps it in the live set until it exits. */
  fork(module: string): ChildProcess {
    const child = forkTs(module, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#live.add(child);
    child.once("exit", () => this.#live.delete(child));
    return child;
  }

  /**
   * Forks `module`, sends it `job`, resolves with its one reply (or an error reply if it exits
   * without one or runs past `timeoutMs`, in which case it is stopped).
   */
  job<R>(module: string, job: unknown, timeoutMs: number, failed: (error: string) => R): Promise<R> {
    const child = this.fork(module);
    return new Promise<R>((resolve) => {
      let reply: R | undefined;
      const timer = setTimeout(() => {
        reply ??= failed(`timed out after ${Math.round(timeoutMs / 1000)} s`);
        void terminate(child);
      }, timeoutMs);
      child.once("message", (m: R) => (reply ??= m));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve(reply ?? failed(`exited (code ${code}, signal ${signal}) without a result`));
      });
      child.send(job as object);
    });
  }

  async cleanup(): Promise<void> {
    if (this.#cleaned) return;
    this.#cleaned = true;
    await Promise.all([...this.#stops].map((stop) => stop().catch(() => undefined)));
    await Promise.all([...this.#live].map((c) => terminate(c)));
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The machine, for the report. */
export function machine(): { cpus: number; cpuModel: string; node: string; os: string; memoryGiB: number } {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

export const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
