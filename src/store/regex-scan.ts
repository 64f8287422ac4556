/**
 * `$regex` scans off the main thread. Matching a regex is linear in the document but also in the
 * regex's program: a few dozen characters of pattern over a collection's documents can take seconds,
 * and done on the main thread that stalls every request (and the heartbeat, the timeout, SIGTERM).
 * A worker thread with its own read-only SQLite connection scans instead; the main thread only waits.
 * A cancelled scan (timeout, client gone, shutdown) terminates the worker at once, mid-match: the
 * next scan starts a new one.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { AbortError } from "../errors.js";
import { compileRegex } from "../model/filter.js";
import { onAbort } from "../util/abort.js";

// Plain CommonJS so it runs the same from src/ (tests) and dist/ (package). The regex is compiled
// from the source and flags of the main thread's compiled RE2JS, so both match the same.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const { RE2JS } = require(workerData.re2js);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const stmt = db.prepare("SELECT rid, document FROM records WHERE cid = ? AND document IS NOT NULL").raw(true);
parentPort.on("message", (msg) => {
  if (msg === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const re = RE2JS.compile(msg.source, msg.flags);
    const out = [];
    for (const [rid, document] of stmt.iterate(msg.cid)) if (re.matcher(document).find()) out.push(rid);
    parentPort.postMessage({ id: msg.id, rids: Float64Array.from(out) });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, message: String((err && err.message) || err) });
  }
});
`;

export class RegexScanner {
  readonly #file: string;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (rids: number[]) => void; reject: (err: Error) => void }>();

  constructor(file: string) {
    this.#file = file;
  }

  /** The rowids, in rowid order, of the collection's records whose document matches `pattern`. */
  scan(cid: number, pattern: string, signal?: AbortSignal): Promise<number[]> {
    if (signal?.aborted) return Promise.reject(toError(signal.reason));
    const re = compileRegex(pattern);
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise<number[]>((resolve, reject) => {
      const stop = signal
        ? onAbort(signal, () => {
            // Mid-match there is no other way to stop it; the other scans in it fail and are retried by no one,
            // but each has its own caller: all are rejected with this reason's kind.
            this.#kill(toError(signal.reason));
          })
        : () => {};
      this.#pending.set(id, {
        resolve: (rids) => {
          stop();
          resolve(rids);
        },
        reject: (err) => {
          stop();
          reject(err);
        },
      });
      worker.postMessage({ id, cid, source: re.pattern(), flags: re.flags() });
    });
  }

  #start(): Worker {
    const require = createRequire(import.meta.url);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.#file, driver: require.resolve("better-sqlite3"), re2js: require.resolve("re2js") },
    });
    worker.unref();
    worker.on("message", (msg: { id: number; rids?: Float64Array; message?: string }) => {
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.rids) waiter.resolve(Array.from(msg.rids));
      else waiter.reject(new Error(`regex scan failed: ${msg.message ?? "unknown error"}`));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [, waiter] of this.#pending) waiter.reject(err);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", () => fail(new AbortError("the regex scan was stopped")));
    return worker;
  }

  #kill(reason: Error): void {
    const worker = this.#worker;
    this.#worker = undefined;
    for (const [, waiter] of this.#pending) waiter.reject(reason);
    this.#pending.clear();
    void worker?.terminate();
  }

  /** Ends the worker (a scan in flight is stopped). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    worker.ref();
    await worker.terminate();
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new AbortError(String(reason));
}
