/**
 * The two servers the official client talks to, each in a process of its own: chromalite's
 * (`startServer` in lib/chromalite-server-main.mjs, on the built package) and the real Chroma 1.4.4 (the oracle). Both are
 * stopped by PID; the chromalite child also exits when its parent goes away, the oracle is started
 * with --exit-with-parent.
 */
import { startOracle } from "./oracle.js";
import { exited, forkServerChild, peakRss, terminate } from "./proc.js";

export type ServerId = "chromalite-server" | "chroma";

export interface ServerProc {
  host: string;
  port: number;
  pid: number;
  /** The server process's peak RSS (VmHWM) so far, in bytes; kept after it exits. */
  peakRss(): number | undefined;
  stop(): Promise<void>;
}

export async function startChromaliteServer(dir: string): Promise<ServerProc> {
  // CHROMALITE_BENCH_SERVER_NODE_ARGS: node flags for chromalite's server process only, e.g.
  // "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under the benchmark's load.
  const execArgv = (process.env.CHROMALITE_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = forkServerChild({ stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`chromalite server child exited during start-up (code ${code})`)));
      child.once("message", () => resolve());
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(m.error))));
      child.send({ cmd: "start", path: dir });
    });
    let peak: number | undefined;
    const pid = child.pid!;
    return {
      host: "127.0.0.1",
      port,
      pid,
      peakRss: () => (peak = Math.max(peak ?? 0, peakRss(pid) ?? 0) || peak),
      async stop() {
        peak = Math.max(peak ?? 0, peakRss(pid) ?? 0) || peak;
        if (child.connected) child.send({ cmd: "close" });
        if (!(await exited(child, 60_000))) await terminate(child);
      },
    };
  } catch (err) {
    await terminate(child);
    throw err;
  }
}

export async function startChroma(dir: string): Promise<ServerProc> {
  const o = await startOracle({ dataDir: dir });
  let peak: number | undefined;
  return {
    host: o.host,
    port: o.port,
    pid: o.pid,
    peakRss: () => (peak = Math.max(peak ?? 0, peakRss(o.pid) ?? 0) || peak),
    async stop() {
      peak = Math.max(peak ?? 0, peakRss(o.pid) ?? 0) || peak;
      await o.stop();
    },
  };
}

export const startServerProc = (id: ServerId, dir: string): Promise<ServerProc> =>
  id === "chroma" ? startChroma(dir) : startChromaliteServer(dir);
