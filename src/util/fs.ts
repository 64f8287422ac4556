import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { InvalidArgumentError } from "../errors.js";

/**
 * Creates the data folder `dir` (and its parents) if missing. A file where the folder (or one of its
 * parents) should be is an `InvalidArgumentError` that says so, not a raw EEXIST or ENOTDIR.
 */
export function ensureFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw new InvalidArgumentError(`${dir} is not a folder: a file is in the way (the data folder must be a directory, or a path that does not exist yet)`, { cause: err });
    }
    throw err;
  }
}

/** fsyncs a file or directory by path (directories make renames in them durable). */
export async function fsyncPath(p: string): Promise<void> {
  const handle = await fsp.open(p, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `file` atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await fsp.open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await fsyncPath(path.dirname(file));
}

/** CRC-32 of a file, read in slices so the event loop is never held for long. */
export async function crc32File(file: string): Promise<{ crc32: number; size: number }> {
  const handle = await fsp.open(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    let crc = 0;
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      crc = zlib.crc32(buffer.subarray(0, bytesRead), crc);
      size += bytesRead;
    }
    return { crc32: crc, size };
  } finally {
    await handle.close();
  }
}

export function existsSync(p: string): boolean {
  return fs.existsSync(p);
}
