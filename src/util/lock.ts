import type { OperationScope } from "./abort.js";

type Waiter = { exclusive: boolean; grant: () => void; fail: (err: unknown) => void };

/**
 * A fair (FIFO) readers-writer lock for async code. Readers share it; a writer holds it alone. A
 * waiter whose operation is cancelled leaves the queue and rejects with the scope's error, so a
 * cancelled call never holds up the callers behind it.
 */
export class ReadWriteLock {
  #readers = 0;
  #writer = false;
  readonly #queue: Waiter[] = [];

  /** Number of holders and waiters; 0 when idle. */
  get busy(): number {
    return this.#readers + (this.#writer ? 1 : 0) + this.#queue.length;
  }

  read(scope?: OperationScope): Promise<() => void> {
    return this.#acquire(false, scope);
  }

  write(scope?: OperationScope): Promise<() => void> {
    return this.#acquire(true, scope);
  }

  #canGrant(exclusive: boolean): boolean {
    if (this.#writer) return false;
    return exclusive ? this.#readers === 0 : true;
  }

  #acquire(exclusive: boolean, scope?: OperationScope): Promise<() => void> {
    if (scope?.aborted) {
      try {
        scope.check();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (this.#queue.length === 0 && this.#canGrant(exclusive)) {
      this.#take(exclusive);
      return Promise.resolve(this.#releaser(exclusive));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(scope?.signal.reason as Error);
        this.#drain();
      };
      const waiter: Waiter = {
        exclusive,
        grant: () => {
          scope?.signal.removeEventListener("abort", onAbort);
          resolve(this.#releaser(exclusive));
        },
        fail: reject,
      };
      this.#queue.push(waiter);
      scope?.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#writer = true;
    else this.#readers++;
  }

  #releaser(exclusive: boolean): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.#writer = false;
      else this.#readers--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (!this.#canGrant(next.exclusive)) return;
      this.#queue.shift();
      this.#take(next.exclusive);
      next.grant();
      if (next.exclusive) return;
    }
  }
}

/** A FIFO mutex: a {@link ReadWriteLock} used only exclusively. */
export class Mutex {
  readonly #lock = new ReadWriteLock();
  acquire(scope?: OperationScope): Promise<() => void> {
    return this.#lock.write(scope);
  }
  get busy(): number {
    return this.#lock.busy;
  }
}
