/** Byte-level encodings of what the store keeps: float32 embeddings as little-endian blobs. */

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
