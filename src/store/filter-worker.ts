/**
 * Filter queries off the main thread. A filter's SQL is bounded by the filter's size (see
 * model/filter-limits.ts) but not by the collection's: a broad range, a long `$or` of ranges, or a
 * `$regex` (linear in the document, but also in the regex's program) over a large collection can
 * take seconds, and on the main thread that stalls every request (and the heartbeat, the timeout,
 * SIGTERM). A worker thread with its own read-only SQLite connection runs such a query instead; the
 * main thread only waits. A cancelled query (timeout, client gone, shutdown) terminates its thread at
 * once, even mid-regex; the other queries go on in theirs.
 */
import { createRequire } from "node:module";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { AbortError, InternalError } from "../errors.js";
import { compileRegex } from "../model/filter.js";
import { onAbort } from "../util/abort.js";

// Plain CommonJS so it runs the same from src/ (tests) and dist/ (package). Each regex is compiled
// with the same engine as on the main thread (rregex, Rust's regex crate), which has already checked
// the pattern (compileRegex), so both threads match the same.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
// Loaded with the first pattern (its WebAssembly module is ~7 MB a thread without $regex never needs).
let RRegex;
// On Linux a thread has its own nice value: at 5 this one gets about a third of the CPU weight of the
// main thread, which keeps answering while the query runs, without starving the query on a busy
// machine (19 made a 1 ms query take 8 here). Elsewhere setpriority would renice the whole process.
if (process.platform === "linux") {
  try { require("node:os").setPriority(5); } catch {}
}
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
let regexes = new Map();
db.function("chromalite_regexp", { deterministic: true }, (pattern, text) => {
  if (typeof text !== "string") return 0;
  let re = regexes.get(pattern);
  if (re === undefined) throw new Error("regex not sent with the query: " + pattern);
  if (re === true) {
    RRegex ??= require(workerData.rregex).RRegex;
    regexes.set(pattern, (re = new RRegex(pattern)));
  }
  return re.isMatch(text) ? 1 : 0;
});
const statements = new Map();
parentPort.on("message", (msg) => {
  if (msg === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    regexes = new Map(msg.patterns.map((p) => [p, true]));
    let stmt = statements.get(msg.sql);
    if (!stmt) {
      if (statements.size > 64) statements.clear();
      statements.set(msg.sql, (stmt = db.prepare(msg.sql).pluck()));
    }
    const rids = Float64Array.from(stmt.all(...msg.params));
    parentPort.postMessage({ rids }, [rids.buffer]);
  } catch (err) {
    parentPort.postMessage({ message: String((err && err.message) || err) });
  }
});
`;

/** Threads running filter queries at once (one per core); more queries wait for one to be free. */
const MAX_THREADS = Math.max(1, os.availableParallelism());

interface Job {
  message: { sql: string; params: unknown[]; patterns: readonly string[] };
  resolve: (rids: number[]) => void;
  reject: (err: Error) => void;
  /** Stops listening on the caller's signal. */
  stop: () => void;
}

export class FilterWorker {
  readonly #file: string;
  /** Threads, idle or running the job they map to. */
  readonly #threads = new Map<Worker, Job | undefined>();
  readonly #queue: Job[] = [];
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  /**
   * Runs a filter's SQL (yielding rowids) in a worker thread. `patterns` are the `$regex` patterns it
   * calls chromalite_regexp with.
   */
  run(sql: string, params: unknown[], patterns: readonly string[], signal?: AbortSignal): Promise<number[]> {
    if (signal?.aborted) return Promise.reject(toError(signal.reason));
    for (const p of patterns) compileRegex(p); // refuses what Chroma refuses, before a thread starts
    return new Promise<number[]>((resolve, reject) => {
      const job: Job = { message: { sql, params, patterns }, resolve, reject, stop: () => {} };
      if (signal) job.stop = onAbort(signal, () => this.#cancel(job, toError(signal.reason)));
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let thread = [...this.#threads].find(([, job]) => job === undefined)?.[0];
      if (!thread) {
        if (this.#threads.size >= MAX_THREADS) return;
        thread = this.#start();
      }
      const job = this.#queue.shift()!;
      this.#threads.set(thread, job);
      thread.postMessage(job.message);
    }
  }

  #finish(thread: Worker, outcome: { rids?: number[]; error?: Error }): void {
    const job = this.#threads.get(thread);
    if (!job) return;
    this.#threads.set(thread, undefined);
    job.stop();
    if (outcome.rids) job.resolve(outcome.rids);
    else job.reject(outcome.error!);
    this.#dispatch();
  }

  /** A cancelled job: dropped from the queue, or its thread ended (mid-query there is no other way). */
  #cancel(job: Job, reason: Error): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      job.stop();
      job.reject(reason);
      return;
    }
    for (const [thread, running] of this.#threads) {
      if (running !== job) continue;
      this.#threads.delete(thread);
      job.stop();
      job.reject(reason);
      void thread.terminate();
      this.#dispatch();
      return;
    }
  }

  #start(): Worker {
    const require = createRequire(import.meta.url);
    const thread = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.#file, driver: require.resolve("better-sqlite3"), rregex: require.resolve("rregex") },
    });
    thread.unref();
    this.#threads.set(thread, undefined);
    thread.on("message", (msg: { rids?: Float64Array; message?: string }) =>
      this.#finish(thread, msg.rids ? { rids: Array.from(msg.rids) } : { error: new InternalError(`filter query failed: ${msg.message ?? "unknown error"}`) }),
    );
    const fail = (error: Error) => {
      this.#finish(thread, { error });
      this.#threads.delete(thread);
    };
    thread.on("error", fail);
    thread.on("exit", () => fail(new AbortError("the filter query was stopped")));
    return thread;
  }

  /** Ends the threads (queries in flight are stopped). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.stop();
      job.reject(new AbortError("the folder is closing"));
    }
    const threads = [...this.#threads.keys()];
    this.#threads.clear();
    await Promise.all(
      threads.map((t) => {
        t.ref();
        return t.terminate();
      }),
    );
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new AbortError(String(reason));
}
