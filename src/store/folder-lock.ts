/**
 * One folder, one process: a lock file created with O_EXCL that names its holder. A lock whose holder
 * is gone (killed, crashed) is taken over automatically; a live holder gets a {@link LockedError}
 * naming its PID. SQLite alone would let two processes share the database, but the vector index
 * files are written by one process only, so the whole folder is guarded.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockedError } from "../errors.js";

export const LOCK_FILE = "chromalite.lock";

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Linux process start time (clock ticks since boot), to tell a reused PID from the holder. */
  processStart?: string;
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) follows the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.hostname !== os.hostname()) return true; // cannot check another machine: assume alive
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (info.processStart !== undefined) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.processStart) return false; // PID reused by another process
  }
  return true;
}

export class FolderLock {
  readonly file: string;
  #held = true;

  private constructor(file: string) {
    this.file = file;
  }

  /** Takes the lock on `dir` or throws {@link LockedError}. */
  static acquire(dir: string): FolderLock {
    const file = path.join(dir, LOCK_FILE);
    const mine: LockInfo = {
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
      processStart: processStartTime(process.pid),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, "wx");
        try {
          fs.writeSync(fd, JSON.stringify(mine));
        } finally {
          fs.closeSync(fd);
        }
        return new FolderLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
      } catch {
        holder = undefined; // torn or vanished lock file: its writer died mid-write, or it was released
      }
      if (holder && holder.pid === process.pid && holder.hostname === mine.hostname) {
        throw new LockedError(
          `${dir} is already open in this process (lock ${file}); reuse that client or close it first`,
          holder.pid,
        );
      }
      if (holder && isAlive(holder)) {
        throw new LockedError(
          `${dir} is in use by process ${holder.pid} on ${holder.hostname} since ${holder.startedAt} (lock ${file}). ` +
            `Close that client, or share the folder through 'chromalite run'.`,
          holder.pid,
        );
      }
      // Stale: the holder is gone. Remove and retry; O_EXCL settles any race with another taker.
      fs.rmSync(file, { force: true });
    }
    throw new LockedError(`could not take the lock ${file}`);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    fs.rmSync(this.file, { force: true });
  }
}
