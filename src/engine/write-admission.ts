/**
 * Backpressure for one collection's writers, in arrival order. Once the backlog (vectors committed but
 * not yet indexed) passes its high mark, writers queue; when the indexer has brought it down to half,
 * every queued writer is let through at once, oldest first, and a writer arriving while others
 * queue waits behind them. So no writer can be overtaken for ever: before, each waiter polled on its
 * own and whoever woke first took the room, and one add under a 50-client load waited 55 s.
 */
import { raceScope, type OperationScope } from "../util/abort.js";

/** How often the queue looks at the backlog while writers wait (the indexer's batches take ~30 ms). */
const POLL_MS = 2;

export interface AdmissionGauge {
  /** The backlog now (floats of pending vectors). */
  level(): number;
  /** Past this, writers queue; they go again at half of it. */
  readonly high: number;
  /** Asked while writers wait: make sure the indexer runs. */
  nudge(): void;
  /** True once the collection is closing: queued writers go (their write then fails or lands). */
  stopped(): boolean;
}

export class WriteAdmission {
  readonly #gauge: AdmissionGauge;
  readonly #queue: (() => void)[] = [];
  #polling = false;

  constructor(gauge: AdmissionGauge) {
    this.#gauge = gauge;
  }

  /** Writers waiting now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves when this writer may write; rejects with the scope's error if it ends first. */
  async admit(scope: OperationScope): Promise<void> {
    if (this.#queue.length === 0 && this.#gauge.level() <= this.#gauge.high) return;
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    this.#queue.push(release);
    this.#poll();
    try {
      await raceScope(turn, scope);
    } finally {
      // Timed out or cancelled while queued: leave the queue (a released entry is gone already).
      const at = this.#queue.indexOf(release);
      if (at >= 0) this.#queue.splice(at, 1);
    }
  }

  #poll(): void {
    if (this.#polling) return;
    this.#polling = true;
    const check = () => {
      if (this.#queue.length === 0) {
        this.#polling = false;
        return;
      }
      if (this.#gauge.stopped() || this.#gauge.level() <= this.#gauge.high / 2) {
        for (const release of this.#queue.splice(0)) release();
        this.#polling = false;
        return;
      }
      this.#gauge.nudge();
      setTimeout(check, POLL_MS);
    };
    setTimeout(check, POLL_MS);
  }
}
