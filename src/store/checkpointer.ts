/**
 * WAL checkpoints off the main thread. Copying the WAL into the database file (and fsyncing it) takes
 * ~50 ms per 20 MB here; run on the caller's thread that would stall the event loop. A worker thread
 * with its own SQLite connection does it instead; SQLite lets it run beside the writer.
 *
 * {@link Checkpointer.now} also empties the WAL file (TRUNCATE), for the write ladder's restarts of
 * the log: otherwise the writer's first commit after a restart cuts the file back to
 * journal_size_limit, and that ftruncate held the event loop ~26 ms every 16 MB of writes (a 100k x
 * 384 import, measured). TRUNCATE blocks other processes' writers while it waits for readers: briefly
 * (TRUNCATE_BUSY_MS), then it does what it can, as PASSIVE does.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

// Plain CommonJS so it runs the same from src/ (tests) and dist/ (package).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = " + workerData.busyMs);
parentPort.on("message", (msg) => {
  if (msg === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [row] = db.pragma(msg === "truncate" ? "wal_checkpoint(TRUNCATE)" : "wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message || err) });
  }
});
`;

/** How long a truncating checkpoint waits for other connections (PASSIVE never waits). */
const TRUNCATE_BUSY_MS = 100;

type Mode = "checkpoint" | "truncate";

export class Checkpointer {
  readonly #file: string;
  #worker: Worker | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** Starts a checkpoint unless one is running; never throws (a missed checkpoint is retried later). */
  request(mode: Mode = "checkpoint"): void {
    if (this.#closed || this.#running) return;
    const worker = (this.#worker ??= this.#start());
    this.#running = new Promise<void>((resolve) => {
      const done = () => {
        worker.off("message", done);
        worker.off("error", done);
        worker.off("exit", done);
        this.#running = undefined;
        resolve();
      };
      worker.on("message", done);
      worker.on("error", done);
      worker.on("exit", done);
      worker.postMessage(mode);
    });
  }

  /**
   * Resolves when a checkpoint that started after this call has ended (after the one running, if any,
   * which may have started before the latest commit), and emptied the WAL file if no other connection
   * was reading it. Never throws, like {@link request}.
   */
  async now(): Promise<void> {
    if (this.#running) await this.#running;
    this.request("truncate");
    await this.#running;
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.#file, driver, busyMs: TRUNCATE_BUSY_MS } });
    // The worker must not keep a process alive that is otherwise done.
    worker.unref();
    return worker;
  }

  /** Waits for a running checkpoint, then closes the worker's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#running) await this.#running;
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    // Hold the process open until the thread has ended: unref'd, it let a script whose last step
    // is `await client.close()` exit here with SQLite still open and the folder lock left behind.
    worker.ref();
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.postMessage("close");
    });
  }
}
