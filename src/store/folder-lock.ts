/**
 * One folder, one process: `chromalite.lock`, held with flock(2) (see util/flock.ts). The kernel
 * drops the lock when its holder dies, however it dies, so a lock left by a crashed process is simply
 * free: there is no staleness to judge and no take-over to race. The file also names its holder, for
 * the error a second process gets. SQLite alone would let two processes share the database, but the
 * vector index files are written by one process only, so the whole folder is guarded.
 *
 * Acquire: open (creating) the file, flock it without waiting, then check that the path still names
 * the file locked: a releasing holder unlinks it first, and a lock on an unlinked file guards nothing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockedError } from "../errors.js";
import { tryLock } from "../util/flock.js";

export const LOCK_FILE = "chromalite.lock";

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** The holder named in the lock file, if it has written itself there yet. */
function readHolder(fd: number): LockInfo | undefined {
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const info = JSON.parse(buf.subarray(0, n).toString("utf8")) as LockInfo;
    return typeof info.pid === "number" ? info : undefined;
  } catch {
    return undefined; // being written by its holder this very moment
  }
}

/** Errors meaning "this folder cannot be written by us": a read-only mount or no write permission. */
const READ_ONLY = new Set(["EROFS", "EACCES", "EPERM"]);

export class FolderLock {
  readonly file: string;
  /** The locked descriptor; undefined for a read-only folder with no lock file (nothing to hold). */
  #fd: number | undefined;
  #held = true;

  private constructor(file: string, fd: number | undefined) {
    this.file = file;
    this.#fd = fd;
  }

  /**
   * Takes the lock on `dir` or throws {@link LockedError}. With `readOnly`, a folder this process
   * cannot write to is locked without creating anything: an existing lock file is opened read-only
   * (flock works on it), and a missing one means no writer can hold the folder through it.
   */
  static acquire(dir: string, opts: { readOnly?: boolean } = {}): FolderLock {
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 100; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (!opts.readOnly || !READ_ONLY.has(code)) throw err;
        try {
          fd = fs.openSync(file, "r");
        } catch (inner) {
          if ((inner as NodeJS.ErrnoException).code === "ENOENT") return new FolderLock(file, undefined);
          throw inner;
        }
      }
      let locked: boolean;
      try {
        locked = tryLock(fd);
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
      if (!locked) {
        const holder = readHolder(fd);
        fs.closeSync(fd);
        throw lockedError(dir, file, holder);
      }
      if (!samePath(fd, file)) {
        fs.closeSync(fd); // we locked a file its holder unlinked on release: try the one there now
        continue;
      }
      try {
        const mine: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, JSON.stringify(mine), 0);
      } catch {
        // Read-only descriptor: the lock holds all the same, only the file does not name us.
      }
      return new FolderLock(file, fd);
    }
    throw new LockedError(`could not take the lock ${file}: it keeps being replaced`);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.#fd === undefined) return;
    // Unlink while still holding it: whoever opened the old file sees it is no longer the path's.
    try {
      if (samePath(this.#fd, this.file)) fs.rmSync(this.file, { force: true });
    } catch {
      // read-only folder: the file stays, unlocked
    }
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Whether `file` still names the open file `fd`. */
function samePath(fd: number, file: string): boolean {
  const held = fs.fstatSync(fd);
  try {
    const now = fs.statSync(file);
    return now.ino === held.ino && now.dev === held.dev;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

function lockedError(dir: string, file: string, holder: LockInfo | undefined): LockedError {
  if (holder && holder.pid === process.pid && holder.hostname === os.hostname()) {
    return new LockedError(`${dir} is already open in this process (lock ${file}); reuse that client or close it first`, holder.pid);
  }
  const who = holder ? `process ${holder.pid} on ${holder.hostname} since ${holder.startedAt}` : "another process";
  return new LockedError(
    `${dir} is in use by ${who} (lock ${file}). Close that client, or share the folder through 'chromalite run'.`,
    holder?.pid,
  );
}
