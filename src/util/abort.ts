import { AbortError, ChromaLiteError, TimeoutError } from "../errors.js";

/**
 * The cancellation scope of one operation: the caller's signal combined with the operation timeout.
 * Long work checks it between chunks; waits for locks listen to it.
 */
export class OperationScope {
  readonly signal: AbortSignal;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #controller = new AbortController();
  readonly #onCallerAbort: (() => void) | undefined;
  readonly #callerSignal: AbortSignal | undefined;

  constructor(name: string, callerSignal: AbortSignal | undefined, timeoutMs: number) {
    this.signal = this.#controller.signal;
    this.#callerSignal = callerSignal;
    if (callerSignal) {
      if (callerSignal.aborted) {
        this.#controller.abort(toAbortError(name, callerSignal.reason));
      } else {
        this.#onCallerAbort = () => this.#controller.abort(toAbortError(name, callerSignal.reason));
        callerSignal.addEventListener("abort", this.#onCallerAbort, { once: true });
      }
    }
    if (timeoutMs > 0 && Number.isFinite(timeoutMs) && !this.signal.aborted) {
      this.#timer = setTimeout(() => {
        this.#controller.abort(new TimeoutError(`${name} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      // A pending timeout must not keep a process alive on its own.
      this.#timer.unref();
    }
  }

  /** Throws the typed abort/timeout error if the scope was cancelled. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason as ChromaLiteError;
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  /** Releases the timer and the listener on the caller's signal. */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onCallerAbort) this.#callerSignal?.removeEventListener("abort", this.#onCallerAbort);
  }
}

function toAbortError(name: string, reason: unknown): ChromaLiteError {
  if (reason instanceof ChromaLiteError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new TimeoutError(`${name} timed out: ${reason.message}`, { cause: reason });
  }
  return new AbortError(`${name} was aborted`, { cause: reason });
}

/** Lets other callbacks run between chunks of long work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `work` over `items` in slices that each take about `budgetMs`, yielding to the event loop in
 * between and checking the scope for cancellation. Returns when every item is processed.
 */
export async function forEachChunked<T>(
  items: ArrayLike<T>,
  work: (item: T, index: number) => void,
  scope: OperationScope | undefined,
  budgetMs = 20,
): Promise<void> {
  let i = 0;
  while (i < items.length) {
    scope?.check();
    const sliceEnd = performance.now() + budgetMs;
    do {
      work(items[i] as T, i);
      i++;
    } while (i < items.length && ((i & 15) !== 0 || performance.now() < sliceEnd));
    if (i < items.length) await yieldToEventLoop();
  }
}
