import { AbortError, ChromaLiteError, TimeoutError } from "../errors.js";

/**
 * The cancellation scope of one operation: the caller's signal combined with the operation timeout.
 * Long work calls `check()` between chunks (a clock read, no timer); an AbortSignal, with its timer,
 * is only made when something must wait on the scope (a queued lock, an embedding call).
 */
export class OperationScope {
  readonly #name: string;
  readonly #callerSignals: readonly AbortSignal[];
  readonly #timeoutMs: number;
  readonly #deadline: number;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #listeners: (() => void)[] = [];
  #reason: ChromaLiteError | undefined;

  /** `signals`: the caller's, and others (e.g. the engine's shutdown) that cancel the operation too. */
  constructor(name: string, signals: AbortSignal | readonly (AbortSignal | undefined)[] | undefined, timeoutMs: number) {
    this.#name = name;
    this.#callerSignals = (Array.isArray(signals) ? signals : [signals]).filter((s): s is AbortSignal => s !== undefined);
    this.#timeoutMs = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 0;
    this.#deadline = this.#timeoutMs > 0 ? performance.now() + this.#timeoutMs : Infinity;
  }

  /** Why the scope is cancelled, or undefined while it is live. */
  #cancelled(): ChromaLiteError | undefined {
    if (this.#reason) return this.#reason;
    const aborted = this.#callerSignals.find((s) => s.aborted);
    if (aborted) this.#reason = toAbortError(this.#name, aborted.reason);
    else if (performance.now() >= this.#deadline) {
      this.#reason = new TimeoutError(`${this.#name} did not finish within ${this.#timeoutMs} ms`);
    }
    return this.#reason;
  }

  /** Throws the typed abort/timeout error if the scope was cancelled. */
  check(): void {
    const reason = this.#cancelled();
    if (reason) throw reason;
  }

  get aborted(): boolean {
    return this.#cancelled() !== undefined;
  }

  /** A signal that aborts (with the typed error as reason) when the scope is cancelled. */
  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const abort = (reason: ChromaLiteError) => {
      this.#reason ??= reason;
      controller.abort(this.#reason);
    };
    const now = this.#cancelled();
    if (now) {
      controller.abort(now);
      return controller.signal;
    }
    for (const caller of this.#callerSignals) {
      this.#listeners.push(onAbort(caller, () => abort(toAbortError(this.#name, caller.reason))));
    }
    if (this.#deadline !== Infinity) {
      this.#timer = setTimeout(
        () => abort(new TimeoutError(`${this.#name} did not finish within ${this.#timeoutMs} ms`)),
        Math.max(0, this.#deadline - performance.now()),
      );
      // A pending timeout must not keep a process alive on its own.
      this.#timer.unref();
    }
    return controller.signal;
  }

  /** Releases the timer and the listener on the caller's signal. */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const remove of this.#listeners) remove();
    this.#listeners = [];
  }
}

/** The callbacks waiting on each signal: one real listener per signal, however many calls share it. */
const waiting = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `callback` once when `signal` aborts; returns the function that stops waiting. Any number of
 * concurrent operations can wait on one signal (the engine's shutdown, or a caller's signal reused
 * across calls) without piling listeners onto it, and none is left behind once they are done.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let entry = waiting.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      waiting.delete(signal);
      for (const cb of [...callbacks]) cb();
    };
    entry = { callbacks, listener };
    waiting.set(signal, entry);
    signal.addEventListener("abort", listener, { once: true });
  }
  const { callbacks, listener } = entry;
  const once = () => {
    callbacks.delete(once);
    callback();
  };
  callbacks.add(once);
  return () => {
    callbacks.delete(once);
    if (callbacks.size === 0 && waiting.get(signal) === entry) {
      // The real listener goes too: the signal keeps nothing of ours once no call waits on it.
      waiting.delete(signal);
      signal.removeEventListener("abort", listener);
    }
  };
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
  budgetMs = 6,
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

/** Settles with `promise`, or rejects as soon as the scope is cancelled. */
export function raceScope<T>(promise: Promise<T>, scope: OperationScope): Promise<T> {
  scope.check();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(scope.signal.reason as Error);
    scope.signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        scope.signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        scope.signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
