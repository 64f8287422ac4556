/**
 * flock(2), from chromalite's small native binding (native/folder_lock.cc): a lock on an open file
 * that the kernel drops when the process dies, however it dies. Node's fs has none.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

interface Binding {
  flock(fd: number, exclusive: boolean): boolean;
}

/** The package root: two levels above this file in both src/util and dist/util. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function loadBinding(): Binding {
  const file = ["Release", "Debug"].map((mode) => path.join(root, "build", mode, "chromalite_fs.node")).find((f) => fs.existsSync(f));
  if (!file) {
    throw new Error(
      `chromalite's native folder lock is not built (no build/Release/chromalite_fs.node under ${root}): run \`npm rebuild chromalite\` (needs python3, make and a C++ compiler)`,
    );
  }
  return createRequire(import.meta.url)(file) as Binding;
}

let binding: Binding | undefined;

/**
 * Takes an exclusive (or shared) lock on the open file `fd` without waiting: true when taken, false
 * when another open file holds a conflicting one. Locks belong to the open file, so a second open
 * of the same file in this process conflicts too; closing the descriptor releases it.
 */
export function tryLock(fd: number, exclusive = true): boolean {
  binding ??= loadBinding();
  return binding.flock(fd, exclusive);
}

/**
 * Takes an exclusive lock on the existing file or folder `target` without waiting: a release function,
 * or undefined when another process (or another open file here) holds it. A lease for work one
 * process at a time may do, such as writing an index's files; a dead holder's lease is free at once.
 * A folder can be locked itself (flock works on its descriptor), so the lease adds no file.
 */
export function tryLockPath(target: string): (() => void) | undefined {
  const fd = fs.openSync(target, "r");
  let locked = false;
  try {
    locked = tryLock(fd, true);
  } finally {
    if (!locked) fs.closeSync(fd);
  }
  return locked ? () => fs.closeSync(fd) : undefined;
}
