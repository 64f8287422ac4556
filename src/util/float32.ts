/**
 * Float32 vectors, the one codec for them all: as bytes (little-endian, how SQLite stores embeddings
 * and the official clients send them in base64) and as numbers the way Chroma shows them: the
 * shortest decimal that reads back as the same float32 (what Rust's `ryu` prints), so an embedding
 * stored from `0.1` comes back as `0.1`, not `0.10000000149011612`, in process just as through the
 * official client.
 */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes a float32 vector as a little-endian blob (a view, no copy, on little-endian hosts). */
export function encodeEmbedding(vector: Float32Array): Buffer {
  if (littleEndian) return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  const out = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i]!, i * 4);
  return out;
}

/** Decodes a blob written by {@link encodeEmbedding}; the result owns its memory. */
export function decodeEmbedding(blob: Uint8Array): Float32Array {
  const n = blob.byteLength >>> 2;
  const out = new Float32Array(n);
  if (littleEndian) {
    new Uint8Array(out.buffer).set(blob.subarray(0, n * 4));
  } else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

const POW10: number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

function shortestByPrecision(v: number): number {
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(v.toPrecision(mid))) === v) hi = mid;
    else lo = mid + 1;
  }
  return Number(v.toPrecision(lo));
}

/**
 * The double nearest to the shortest decimal that rounds to the same float32 as `v`. The arithmetic
 * path is exact where the powers of ten are (|v| in [1e-13, 1e15)); elsewhere a slower search runs.
 */
export function shortestF32(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const f = Math.fround(v);
  const a = Math.abs(f);
  if (a >= 1e-13 && a < 1e15) {
    const e = Math.floor(Math.log10(a));
    for (let p = 1; p <= 9; p++) {
      const k = p - 1 - e;
      const c = k >= 0 ? Math.round(a * POW10[k]!) / POW10[k]! : Math.round(a / POW10[-k]!) * POW10[-k]!;
      if (Math.fround(c) === a) return f < 0 ? -c : c;
    }
  }
  return shortestByPrecision(f);
}

/** JSON text of a float32 value in its shortest form. */
export function formatF32(v: number): string {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return "null"; // never stored; JSON has no NaN
  return String(shortestF32(v));
}

/** A stored vector as plain numbers in their shortest float32 form. */
export function vectorToNumbers(v: Float32Array): number[] {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = shortestF32(v[i]!);
  return out;
}
