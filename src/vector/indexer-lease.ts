/**
 * Which process indexes a collection for the others. Several processes may share a folder; each one
 * that queries a collection holds its own graph, but a process that only writes need not index at
 * all when another one does: the lease's holder catches up from the write log in the background and
 * indexes what the others write. The lease is an flock on `indexer.lease` in the collection's index
 * folder (free at once when its holder dies); the file holds, as two float64s, the write seq up to
 * which the holder has read the log and how many vectors of it wait for its graph, so a writer that
 * does not index can hold back while the holder's backlog is full (write-admission.ts), as it would
 * for its own.
 *
 * The file is never removed while the folder lives: removing a lock file races with a process that
 * has just opened it (it would lock a file no one else sees).
 */
import fs from "node:fs";
import path from "node:path";
import { tryLock } from "../util/flock.js";

export const LEASE_FILE = "indexer.lease";

/** What the holder last published. */
export interface HolderProgress {
  /** The holder has read every change up to this write seq. */
  seq: number;
  /** Vectors of those not yet in its graph. */
  pending: number;
}

export class IndexerLease {
  readonly #fd: number;
  #held = false;
  readonly #record = new Float64Array(2);

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Opens the lease file of `indexDir` (making both) and tries to take it; see {@link held}. */
  static open(indexDir: string): IndexerLease {
    fs.mkdirSync(indexDir, { recursive: true });
    // Not O_APPEND: the seq is written at offset 0.
    const lease = new IndexerLease(fs.openSync(path.join(indexDir, LEASE_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644));
    lease.tryTake();
    return lease;
  }

  /** True while this process holds the lease. */
  get held(): boolean {
    return this.#held;
  }

  /** Takes the lease if its holder is gone (closed or dead); true when this process holds it. */
  tryTake(): boolean {
    if (!this.#held) this.#held = tryLock(this.#fd, true);
    return this.#held;
  }

  /** Tells the processes that do not index how far this one has got. */
  publish(progress: HolderProgress): void {
    if (!this.#held) return;
    this.#record[0] = progress.seq;
    this.#record[1] = progress.pending;
    fs.writeSync(this.#fd, new Uint8Array(this.#record.buffer), 0, 16, 0);
  }

  /** Lets the lease go (closing the file releases the lock). */
  close(): void {
    this.#held = false;
    fs.closeSync(this.#fd);
  }

  /**
   * For a process without the collection's graph: what the holder last published, or undefined when
   * no process holds the lease (nobody indexes; the caller should index itself).
   */
  static peek(indexDir: string): HolderProgress | undefined {
    let fd: number;
    try {
      fd = fs.openSync(path.join(indexDir, LEASE_FILE), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      if (tryLock(fd, true)) return undefined; // free: closing below lets it go at once
      const record = new Float64Array(2);
      // Not yet published (the holder has just taken it): nothing read, nothing pending.
      const read = fs.readSync(fd, new Uint8Array(record.buffer), 0, 16, 0);
      return read === 16 ? { seq: record[0]!, pending: record[1]! } : { seq: 0, pending: 0 };
    } finally {
      fs.closeSync(fd);
    }
  }
}

