/**
 * Readers for the real data sets in ../shared/data (present in this workplace and its CI). Tests use
 * `sharedData(...)` to find a file and skip visibly when it is not there: it warns on the console,
 * naming the missing file, in the test file that asked (vitest shows which).
 */
import fs from "node:fs";
import path from "node:path";

/** Where the shared data sets are: $CHROMALITE_SHARED_DATA, else `../shared/data` beside the project root. */
export const SHARED_DATA = path.resolve(process.env.CHROMALITE_SHARED_DATA ?? path.join(import.meta.dirname, "../../../shared/data"));

/**
 * Absolute path of a file (or folder) under shared/data, and whether it exists. When it does not, a
 * console warning names it and says that the tests needing it are skipped, so that a missing file
 * never passes for a green run unnoticed.
 */
export function sharedData(relative: string): { path: string; exists: boolean } {
  const p = path.join(SHARED_DATA, relative);
  const exists = fs.existsSync(p);
  if (!exists) console.warn(`[shared data] ${p} is missing: the tests that need it are skipped (set CHROMALITE_SHARED_DATA to its folder)`);
  return { path: p, exists };
}

/** TEXMEX .fvecs: per vector an int32 dimension then that many float32 values. */
export function readFvecs(file: string): Float32Array[] {
  const buf = fs.readFileSync(file);
  const out: Float32Array[] = [];
  for (let off = 0; off < buf.length; ) {
    const dim = buf.readInt32LE(off);
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = buf.readFloatLE(off + 4 + i * 4);
    out.push(v);
    off += 4 + dim * 4;
  }
  return out;
}

/** TEXMEX .ivecs: per row an int32 count then that many int32 values. */
export function readIvecs(file: string): Int32Array[] {
  const buf = fs.readFileSync(file);
  const out: Int32Array[] = [];
  for (let off = 0; off < buf.length; ) {
    const n = buf.readInt32LE(off);
    const v = new Int32Array(n);
    for (let i = 0; i < n; i++) v[i] = buf.readInt32LE(off + 4 + i * 4);
    out.push(v);
    off += 4 + n * 4;
  }
  return out;
}
