/**
 * Spreading work that arrives together over turns of the event loop. Many concurrent calls (50 HTTP
 * requests read in one poll) each yield once before they start; those yields all land in the same
 * check phase, so without a budget the whole pile runs before the loop can read a socket or fire a
 * timer again. A yield here resumes only while the current turn has run for less than `budgetMs`;
 * past that, it waits for the next turn.
 */
import { yieldToEventLoop } from "./abort.js";

export class TurnBudget {
  readonly #budgetMs: number;
  /** When the current check phase began running our work (set by the marker that opens it). */
  #turnStart = 0;
  #markerQueued = false;

  constructor(budgetMs = 4) {
    this.#budgetMs = budgetMs;
  }

  /** Lets the event loop turn, and keeps each turn's share of queued calls under the budget. */
  async yield(): Promise<void> {
    for (;;) {
      this.#queueMarker();
      await yieldToEventLoop();
      if (performance.now() - this.#turnStart < this.#budgetMs) return;
    }
  }

  /** A marker queued before the callers' own immediates records when their turn starts. */
  #queueMarker(): void {
    if (this.#markerQueued) return;
    this.#markerQueued = true;
    setImmediate(() => {
      this.#markerQueued = false;
      this.#turnStart = performance.now();
    });
  }
}
