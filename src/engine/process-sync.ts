/**
 * Keeping one process in step with the others on a shared folder. SQLite is the truth; before every
 * call the engine asks here whether another process committed since (`PRAGMA data_version` on this
 * process's writer connection: one pragma when nothing changed) and, if so, catches up: the
 * collections' rows, their vector indexes from the write log, cached text state. So a call never
 * answers from a state older than a write acknowledged anywhere before it began.
 */
import type { SqliteStore } from "../store/sqlite-store.js";
import { raceScope, type OperationScope } from "../util/abort.js";
import type { CollectionStates } from "./catalog.js";

export class ProcessSync {
  readonly #store: SqliteStore;
  readonly #states: CollectionStates;
  /** Hears that other processes wrote records (their text may wait for indexing here too). */
  readonly #recordsChanged: () => void;
  /** data_version when this process last caught up. */
  #seenVersion: number;
  /** The catch-up in flight, which concurrent calls share. */
  #syncing: Promise<void> | null = null;

  constructor(store: SqliteStore, states: CollectionStates, recordsChanged: () => void) {
    this.#store = store;
    this.#states = states;
    this.#recordsChanged = recordsChanged;
    this.#seenVersion = store.dataVersion();
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
