/**
 * Backpressure for one collection's writers, in arrival order. A writer asks for room for its
 * vectors; it goes at once while the backlog (vectors committed but not yet indexed), plus the room
 * held by writers admitted but not yet committed, stays under the high mark. Otherwise it queues, and
 * the queue lets writers go one by one, oldest first, as the indexer frees room; a newcomer waits
 * behind the queue. So no writer is overtaken for ever (before, each waiter polled on its own and one
 * add under a 50-client load waited 55 s), and writers go in a stream, not in bursts that would hold
 * the event loop while queries wait.
 */
import { raceScope, type OperationScope } from "../util/abort.js";

/** How often the queue looks at the backlog while writers wait (the indexer's batches take ~30 ms). */
const POLL_MS = 2;

export interface AdmissionGauge {
  /** The backlog now (floats of pending vectors). */
  level(): number;
  /** The most the backlog and the room held may reach. */
  readonly high: number;
  /** Asked while writers wait: make sure the indexer runs. */
  nudge(): void;
  /** True once the collection is closing: queued writers go (their write then fails or lands). */
  stopped(): boolean;
}

interface Waiter {
  room: number;
  go: () => void;
}

export class WriteAdmission {
  readonly #gauge: AdmissionGauge;
  readonly #queue: Waiter[] = [];
  /** Room held by admitted writers that have not committed (or failed) yet. */
  #held = 0;
  #polling = false;

  constructor(gauge: AdmissionGauge) {
    this.#gauge = gauge;
  }

  /** Writers waiting now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves when this writer may write `room` floats, with the function that gives the room back:
   * call it once the write has committed (its vectors are then in the backlog) or failed. Rejects with
   * the scope's error if the scope ends while queued.
   */
  async admit(room: number, scope: OperationScope): Promise<() => void> {
    if (this.#queue.length === 0 && this.#fits(room)) return this.#hold(room);
    let go!: () => void;
    const turn = new Promise<void>((resolve) => (go = resolve));
    const waiter: Waiter = { room, go };
    this.#queue.push(waiter);
    this.#poll();
    try {
      await raceScope(turn, scope);
    } catch (err) {
      const at = this.#queue.indexOf(waiter);
      if (at >= 0) this.#queue.splice(at, 1);
      else this.#held -= room; // let go just as the scope ended: give the room back
      throw err;
    }
    return this.#releaser(room);
  }

  /** Runs `write` once admitted, holding its room until it has committed or failed. */
  async holding<T>(room: number, scope: OperationScope, write: () => Promise<T>): Promise<T> {
    const release = await this.admit(room, scope);
    try {
      return await write();
    } finally {
      release();
    }
  }

  /** Room for `room` more floats; a writer alone always fits (one batch larger than the mark still goes). */
  #fits(room: number): boolean {
    const level = this.#gauge.level();
    return level + this.#held + room <= this.#gauge.high || (this.#held === 0 && level <= this.#gauge.high / 2);
  }

  #hold(room: number): () => void {
    this.#held += room;
    return this.#releaser(room);
  }

  #releaser(room: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= room;
      if (this.#queue.length > 0) this.#poll();
    };
  }

  #poll(): void {
    if (this.#polling) return;
    this.#polling = true;
    const check = () => {
      const stopped = this.#gauge.stopped();
      while (this.#queue.length > 0 && (stopped || this.#fits(this.#queue[0]!.room))) {
        const waiter = this.#queue.shift()!;
        this.#held += waiter.room;
        waiter.go();
      }
      if (this.#queue.length === 0) {
        this.#polling = false;
        return;
      }
      this.#gauge.nudge();
      setTimeout(check, POLL_MS);
    };
    setTimeout(check, POLL_MS);
  }
}
