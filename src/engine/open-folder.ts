/**
 * Opening a data folder: its lock in the mode asked (shared by default, alone with `exclusive`, a
 * mere presence for `readOnly`, which writes nothing), then SQLite; undone if SQLite fails.
 */
import fs from "node:fs";
import path from "node:path";
import { NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import { FolderLock, ReadOnlyPresence } from "../store/folder-lock.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { Durability } from "../types.js";
import { ensureFolder } from "../util/fs.js";

export interface EngineOptions {
  /** The data folder. Created if missing. */
  path: string;
  /** `normal` (default): an acknowledged write survives a process crash. `full`: also a power loss. */
  durability?: Durability;
  /** Largest accepted batch; Chroma's is 5461. */
  maxBatchSize?: number;
  /** Default timeout of every operation in ms (0 = none). */
  timeoutMs?: number;
  logger?: Logger;
  /** Hold the folder alone: another process opening it gets LockedError (as it does against one). */
  exclusive?: boolean;
  /** Read only: every write fails with ReadOnlyError, and nothing is written in the folder. */
  readOnly?: boolean;
  /**
   * The nice level of the background insert threads (default DEFAULT_INSERT_NICE, 10: the threads
   * that answer calls get the CPU first). CHROMALITE_INSERT_NICE overrides it.
   */
  insertNice?: number;
}

export interface OpenFolder {
  dir: string;
  store: SqliteStore;
  /** Released when the engine closes. */
  lock: FolderLock | ReadOnlyPresence;
}

export function openFolder(options: EngineOptions): OpenFolder {
  const dir = path.resolve(options.path);
  const readOnly = options.readOnly === true;
  if (!readOnly) ensureFolder(dir);
  else if (!fs.existsSync(dir)) throw new NotFoundError(`No chromalite data at ${dir}: a read-only client cannot create it`);
  const lock = readOnly ? ReadOnlyPresence.take(dir) : FolderLock.acquire(dir, { shared: options.exclusive !== true });
  try {
    const presence = lock instanceof ReadOnlyPresence ? { alone: () => lock.alone() } : undefined;
    return { dir, lock, store: SqliteStore.open(dir, { durability: options.durability ?? "normal", readOnly: presence }) };
  } catch (err) {
    lock.release();
    throw err;
  }
}
