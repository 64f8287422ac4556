/**
 * Keeping one process in step with the others on a shared folder. SQLite is the truth; before every
 * call the engine asks here whether another process committed since (`PRAGMA data_version` on this
 * process's writer connection: one pragma when nothing changed) and, if so, catches up: the
 * collections' rows, their vector indexes from the write log, cached text state. So a call never
 * answers from a state older than a write acknowledged anywhere before it began.
 *
 * The process that holds a collection's indexer lease (indexer-lease.ts) also watches data_version in
 * the background and catches up between calls: it indexes for processes that only write, and they
 * hold back while its backlog is full, so it cannot wait for a call of its own. The other processes
 * catch up at their next call: indexing at the same time as the holder would cost them more CPU
 * (four insert threads on two cores), for a process that may never query again.
 */
import type { SqliteStore } from "../store/sqlite-store.js";
import { raceScope, type OperationScope } from "../util/abort.js";
import type { CollectionStates } from "./catalog.js";

/** How often a lease holder looks for other processes' writes (one pragma when there are none). */
const WATCH_MS = 20;

export class ProcessSync {
  readonly #store: SqliteStore;
  readonly #states: CollectionStates;
  /** Hears that other processes wrote records (their text may wait for indexing here too). */
  readonly #recordsChanged: () => void;
  /** data_version when this process last caught up. */
  #seenVersion: number;
  /** The catch-up in flight, which concurrent calls share. */
  #syncing: Promise<void> | null = null;

  /** Runs a catch-up as a call of its own (through the engine's gate, so close waits for it). */
  readonly #background: () => Promise<void>;
  #watcher: NodeJS.Timeout | undefined;
  #watching: Promise<void> | null = null;

  constructor(store: SqliteStore, states: CollectionStates, recordsChanged: () => void, background: () => Promise<void>) {
    this.#store = store;
    this.#states = states;
    this.#recordsChanged = recordsChanged;
    this.#background = background;
    this.#seenVersion = store.dataVersion();
  }

  /** Starts watching for other processes' writes, for the collections whose lease this process holds. */
  watch(): void {
    this.#watcher ??= setInterval(() => this.#tick(), WATCH_MS).unref();
  }

  /**
   * Stops watching and gives up the leases (close): from now on this process catches up with no one,
   * so writers elsewhere must not wait on its backlog while it finishes; another process takes over.
   * A catch-up already started finishes as a call does.
   */
  unwatch(): void {
    clearInterval(this.#watcher);
    this.#watcher = undefined;
    for (const state of this.#states.values()) state.room.leave(true);
  }

  #tick(): void {
    if (this.#watching || this.#syncing) return;
    let holding = false;
    for (const state of this.#states.values()) {
      if (!state.loaded) continue;
      state.room.tryTake(); // its holder may have closed or died
      holding ||= state.room.held;
    }
    if (!holding || this.#store.dataVersion() === this.#seenVersion) return;
    // Failures are the next call's to report (it catches up again); closing ends the watch.
    this.#watching = this.#background()
      .catch(() => undefined)
      .finally(() => (this.#watching = null));
  }

  /** Resolves once this process holds every change committed anywhere before the call. */
  async sync(scope: OperationScope): Promise<void> {
    for (;;) {
      if (this.#syncing) {
        // Another call's catch-up: wait for it within this call's own time (its failure is its own).
        await raceScope(this.#syncing.catch(() => undefined), scope);
        continue;
      }
      const version = this.#store.dataVersion();
      if (version === this.#seenVersion && !this.#states.anyBehind()) return;
      this.#syncing = this.#catchUp(version, scope).finally(() => (this.#syncing = null));
    }
  }

  async #catchUp(version: number, scope: OperationScope): Promise<void> {
    const current = this.#store.collectionVersions();
    // Any collection's text may have changed: another process's text indexing moves no seq.
    const touched = [...this.#states.values()].map((s) => s.cid);
    let changed = false;
    for (const state of [...this.#states.values()]) {
      const now = current.get(state.id);
      if (!now) {
        // Deleted by another process (its index folder went with it).
        this.#states.delete(state.id);
        state.deleted = true;
        await state.close({ save: false });
        continue;
      }
      if (now.seq === state.row.seq && now.version === state.row.version && !state.behind) continue;
      if (now.seq !== state.row.seq) changed = true;
      const row = this.#store.catalog.collectionById(state.id);
      if (row) await state.catchUp(row, scope);
    }
    if (version !== this.#seenVersion) this.#store.noteExternalWrites(touched);
    if (changed) this.#recordsChanged();
    this.#seenVersion = version;
  }
}
