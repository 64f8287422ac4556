/**
 * WAL checkpoints off the main thread. Copying the WAL into the database file (and fsyncing it) takes
 * ~50 ms per 20 MB here; run on the caller's thread that would stall the event loop. A worker thread
 * with its own SQLite connection does it instead; SQLite lets it run beside the writer.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

// Plain CommonJS so it runs the same from src/ (tests) and dist/ (package).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
parentPort.on("message", (msg) => {
  if (msg === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message || err) });
  }
});
`;

export class Checkpointer {
  readonly #file: string;
  #worker: Worker | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** Starts a checkpoint unless one is running; never throws (a missed checkpoint is retried later). */
  request(): void {
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
      worker.postMessage("checkpoint");
    });
  }

  /**
   * Resolves when a checkpoint that started after this call has ended (after the one running, if any,
   * which may have started before the latest commit). Never throws, like {@link request}.
   */
  async now(): Promise<void> {
    if (this.#running) await this.#running;
    this.request();
    await this.#running;
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.#file, driver } });
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
