/**
 * Room for one collection's writes, and who indexes them. A write waits (write-admission.ts) while the
 * backlog of vectors not yet in a graph is full: this process's own backlog when it has the
 * collection loaded, or else the backlog of the process that holds the collection's indexer lease
 * and indexes for it (vector/indexer-lease.ts). This process joins the lease when it loads the
 * collection, publishes its progress to the processes that only write, and leaves it on close.
 */
import type { OperationScope } from "../util/abort.js";
import { IndexerLease, type HolderProgress } from "../vector/indexer-lease.js";
import { WriteAdmission } from "./write-admission.js";

/**
 * Backpressure: pending vectors, plus the room of admitted writes not yet committed, stay under this
 * many floats (an exact scan of them costs about 0.5 ms). Queries stay fast during an import, memory
 * stays bounded, and compacting the buffer stays a few ms.
 */
const PENDING_HIGH_FLOATS = 2 << 20;

/** What the room needs from its collection's state. */
export interface RoomHost {
  readonly indexDir: string;
  readonly readOnly: boolean;
  loaded(): boolean;
  dimension(): number;
  /** How far this process's graph has got. */
  progress(): HolderProgress;
  ensureLoaded(scope: OperationScope): Promise<void>;
  /** Asked while writers wait: make sure the indexer runs. */
  nudge(): void;
  stopping(): boolean;
}

export class WriteRoom {
  readonly #host: RoomHost;
  /** Open while the collection is loaded here (never in a read-only process). */
  #lease: IndexerLease | null = null;
  /** Set once the engine closes: a load still in flight then must not take the lease again. */
  #retired = false;
  /** Not loaded here: writes this process committed that the holder may not have read yet. */
  readonly #unread: { seq: number; vectors: number }[] = [];
  readonly #admission: WriteAdmission;

  constructor(host: RoomHost) {
    this.#host = host;
    this.#admission = new WriteAdmission({
      level: () => (host.loaded() ? host.progress().pending : this.#backlogAtHolder()) * host.dimension(),
      high: PENDING_HIGH_FLOATS,
      nudge: () => host.nudge(),
      stopped: () => host.stopping(),
    });
  }

  /**
   * Before a write: loads the collection, unless another process holds the lease (it indexes what
   * this one writes). So a process that only writes costs no indexing CPU and no graph memory.
   */
  prepare(scope: OperationScope): Promise<void> {
    if (this.#host.loaded() || IndexerLease.peek(this.#host.indexDir) === undefined) return this.#host.ensureLoaded(scope);
    return Promise.resolve();
  }

  /** Runs `write` once room for its `vectors` is free, holding it until the write has ended. */
  admit<T>(vectors: number, scope: OperationScope, write: () => Promise<T>): Promise<T> {
    return this.#admission.holding(vectors * this.#host.dimension(), scope, write);
  }

  /** A write this process committed while not loaded: another process may be indexing it. */
  wroteUnloaded(seq: number, vectors: number): void {
    if (vectors > 0) this.#unread.push({ seq, vectors });
  }

  /** The collection is loaded here: opens the lease file and takes the lease if it is free. */
  join(): void {
    if (!this.#host.readOnly && !this.#retired) this.#lease ??= IndexerLease.open(this.#host.indexDir);
    this.#unread.length = 0;
  }

  /** True while this process indexes the collection for processes that do not load it. */
  get held(): boolean {
    return this.#lease?.held ?? false;
  }

  /** Takes over the lease when its holder has gone (closed or died). */
  tryTake(): void {
    if (this.#lease && !this.#lease.held && this.#lease.tryTake()) this.publish();
  }

  /** Tells the processes that only write how far this one has got (when it holds the lease). */
  publish(): void {
    this.#lease?.publish(this.#host.progress());
  }

  /** Lets the lease go; `forGood` when the engine closes (it will not catch up for anyone again). */
  leave(forGood = false): void {
    this.#retired ||= forGood;
    this.#lease?.close();
    this.#lease = null;
  }

  /**
   * Vectors the holder has yet to index: what it published, plus this process's writes after the seq
   * it had read by then (it reads the log every few ms). 0 when no process holds the lease: the next
   * write loads the collection and indexes for itself.
   */
  #backlogAtHolder(): number {
    const holder = IndexerLease.peek(this.#host.indexDir);
    if (!holder) {
      this.#unread.length = 0;
      return 0;
    }
    let read = 0;
    while (read < this.#unread.length && this.#unread[read]!.seq <= holder.seq) read++;
    this.#unread.splice(0, read);
    return this.#unread.reduce((n, w) => n + w.vectors, holder.pending);
  }
}
