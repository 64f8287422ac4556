/**
 * The folder lock: `chromalite.lock`, held with flock(2) (see util/flock.ts). The kernel drops a lock
 * when its holder dies, however it dies, so a lock left by a crashed process is simply free: there is
 * no staleness to judge and no take-over to race.
 *
 * Two modes. `shared` (the default): any number of processes hold the file shared and use the folder
 * together (SQLite is the truth; each catches its indexes up from the write log). `exclusive`: one
 * process holds it alone, and names itself in the file for the error a second one gets. Shared and
 * exclusive holders exclude each other, so a process that asked for the folder alone has it alone.
 *
 * Acquire: open (creating) the file, flock it without waiting, then check that the path still names
 * the file locked: a releasing last holder unlinks it first, and a lock on an unlinked file guards
 * nothing. Release: the last holder (who can take it exclusively) unlinks the file, so a closed folder
 * holds only its data.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockedError } from "../errors.js";
import { tryLock } from "../util/flock.js";

export const LOCK_FILE = "chromalite.lock";

/** How long a shared opener retries while the last holder releases (see acquire). */
const SHARED_PATIENCE_MS = 250;

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

  /** Held alone (exclusive mode); a shared holder is one of any number. */
  readonly exclusive: boolean;

  private constructor(file: string, fd: number | undefined, exclusive: boolean) {
    this.file = file;
    this.#fd = fd;
    this.exclusive = exclusive;
  }

  /**
   * Takes the lock on `dir` or throws {@link LockedError}. With `readOnly`, a folder this process
   * cannot write to is locked without creating anything: an existing lock file is opened read-only
   * (flock works on it), and a missing one means no writer can hold the folder through it.
   */
  static acquire(dir: string, opts: { readOnly?: boolean; shared?: boolean } = {}): FolderLock {
    const file = path.join(dir, LOCK_FILE);
    const exclusive = opts.shared !== true;
    // A releasing last holder takes the file exclusively for a moment to unlink it: a shared opener
    // that meets that moment tries again for a little while before calling the folder taken.
    const patience = exclusive ? 0 : SHARED_PATIENCE_MS;
    const started = Date.now();
    for (let attempt = 0; attempt < 10_000; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (!opts.readOnly || !READ_ONLY.has(code)) throw err;
        try {
          fd = fs.openSync(file, "r");
        } catch (inner) {
          if ((inner as NodeJS.ErrnoException).code === "ENOENT") return new FolderLock(file, undefined, true);
          throw inner;
        }
      }
      let locked: boolean;
      try {
        locked = tryLock(fd, exclusive);
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
      if (!locked) {
        const holder = readHolder(fd);
        fs.closeSync(fd);
        if (Date.now() - started < patience) {
          sleepSync(1);
          continue;
        }
        throw lockedError(dir, file, holder, exclusive);
      }
      if (!samePath(fd, file)) {
        fs.closeSync(fd); // we locked a file its holder unlinked on release: try the one there now
        continue;
      }
      if (!exclusive) {
        // A crashed exclusive holder's name must not be blamed for the folder's shared use.
        try {
          fs.ftruncateSync(fd, 0);
        } catch {
          // read-only descriptor
        }
        return new FolderLock(file, fd, false);
      }
      try {
        const mine: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, JSON.stringify(mine), 0);
      } catch {
        // Read-only descriptor: the lock holds all the same, only the file does not name us.
      }
      return new FolderLock(file, fd, true);
    }
    throw new LockedError(`could not take the lock ${file}: it keeps being replaced`);
  }

  /**
   * True when no other process holds the folder: a shared holder then has it alone until it
   * releases (the lock is taken exclusively), so it may tidy up before letting go.
   */
  alone(): boolean {
    if (this.exclusive || this.#fd === undefined) return true;
    return tryLock(this.#fd, true);
  }

  /**
   * For a shared holder: whether other processes hold the folder too, asked without keeping it (the
   * lock is taken exclusively and given back as shared at once).
   */
  othersPresent(): boolean {
    if (this.exclusive || this.#fd === undefined) return false;
    if (!tryLock(this.#fd, true)) return true;
    tryLock(this.#fd, false);
    return false;
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.#fd === undefined) return;
    // Unlink while still holding it alone: whoever opened the old file sees it is no longer the
    // path's. A shared holder is alone when it can take the lock exclusively (the last one out).
    try {
      if (this.alone() && samePath(this.#fd, this.file)) fs.rmSync(this.file, { force: true });
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

/** Waits `ms` without returning to the event loop: only in acquire's short retry, at open. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockedError(dir: string, file: string, holder: LockInfo | undefined, exclusive: boolean): LockedError {
  if (holder && holder.pid === process.pid && holder.hostname === os.hostname()) {
    return new LockedError(`${dir} is already open in this process (lock ${file}); reuse that client or close it first`, holder.pid);
  }
  if (holder) {
    const who = `process ${holder.pid} on ${holder.hostname} since ${holder.startedAt}`;
    return new LockedError(
      `${dir} is held exclusively by ${who} (lock ${file}). Close that client, or open it without 'exclusive: true' to share the folder.`,
      holder.pid,
    );
  }
  if (exclusive) {
    return new LockedError(
      `${dir} is in use by other processes (lock ${file}), so it cannot be held exclusively. Close them, or open without 'exclusive: true' to share the folder.`,
    );
  }
  return new LockedError(`${dir} is held exclusively by another process (lock ${file}).`);
}

/**
 * A read-only process's presence on a folder. It writes nothing, not even a lock file, yet others
 * must know it is there: it holds the folder itself shared (flock works on a folder's descriptor),
 * so read-only processes see one another even where there is no lock file, and holds the lock file
 * shared when there is one, so an exclusive holder refuses it and it refuses to open beside one.
 */
export class ReadOnlyPresence {
  readonly #dir: string;
  #dirFd: number | undefined;
  #lockFd: number | undefined;

  private constructor(dir: string, dirFd: number, lockFd: number | undefined) {
    this.#dir = dir;
    this.#dirFd = dirFd;
    this.#lockFd = lockFd;
  }

  /** Takes the presence on `dir`, or throws LockedError when another process holds it exclusively. */
  static take(dir: string): ReadOnlyPresence {
    const dirFd = fs.openSync(dir, "r");
    const file = path.join(dir, LOCK_FILE);
    const started = Date.now();
    try {
      // A read-only process that closes takes the folder alone for a moment to tidy up: wait it out.
      while (!tryLock(dirFd, false)) {
        if (Date.now() - started > SHARED_PATIENCE_MS) throw new LockedError(`${dir} is being closed by another process; try again`);
        sleepSync(1);
      }
      for (;;) {
        let lockFd: number;
        try {
          lockFd = fs.openSync(file, "r");
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return new ReadOnlyPresence(dir, dirFd, undefined);
          throw err;
        }
        if (tryLock(lockFd, false)) return new ReadOnlyPresence(dir, dirFd, lockFd);
        const holder = readHolder(lockFd);
        fs.closeSync(lockFd);
        if (holder || Date.now() - started > SHARED_PATIENCE_MS) throw lockedError(dir, file, holder, false);
        sleepSync(1); // the last shared holder, unlinking the file as it leaves
      }
    } catch (err) {
      fs.closeSync(dirFd);
      throw err;
    }
  }

  /** True when no other process uses the folder (then it is held alone until release). */
  alone(): boolean {
    if (this.#dirFd === undefined || !tryLock(this.#dirFd, true)) return false;
    if (this.#lockFd !== undefined) return tryLock(this.#lockFd, true);
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.#dir, LOCK_FILE), "r");
    } catch {
      return true; // no lock file: no writer has the folder
    }
    this.#lockFd = fd;
    return tryLock(fd, true);
  }

  release(): void {
    for (const fd of [this.#lockFd, this.#dirFd]) if (fd !== undefined) fs.closeSync(fd);
    this.#lockFd = undefined;
    this.#dirFd = undefined;
  }
}
