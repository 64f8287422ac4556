/**
 * UMAP of the map's sample, in a Web Worker so the page stays responsive while it runs (seconds for
 * a few thousand points). A classic worker script: it loads umap-js's browser build (served by the
 * console from the installed package) with importScripts. Messages in: { vectors (Float32Array,
 * row after row), dimension, space }; out: { progress } while it runs, then { x, y } or { error }.
 */

interface UmapLike {
  initializeFit(data: number[][]): number;
  step(): number;
  getEmbedding(): number[][];
}
declare const UMAP: { UMAP: new (options: Record<string, unknown>) => UmapLike };
declare function importScripts(...urls: string[]): void;

(() => {
  const worker = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(message: unknown): void };
  importScripts("/console/assets/umap-js.min.js");

  /** mulberry32: a seeded generator, so the same sample gives the same picture. */
  function seeded(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function cosine(a: number[], b: number[]): number {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! * a[i]!;
      nb += b[i]! * b[i]!;
    }
    return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
  }

  worker.onmessage = (e: MessageEvent) => {
    const { vectors, dimension, space } = e.data as { vectors: Float32Array; dimension: number; space: string };
    try {
      const rows: number[][] = [];
      for (let i = 0; i * dimension < vectors.length; i++) rows.push(Array.from(vectors.subarray(i * dimension, (i + 1) * dimension)));
      const options: Record<string, unknown> = { nComponents: 2, nNeighbors: Math.min(15, Math.max(2, rows.length - 1)), minDist: 0.1, random: seeded(42) };
      if (space !== "l2") options.distanceFn = cosine;
      const umap = new UMAP.UMAP(options);
      const epochs = umap.initializeFit(rows);
      for (let i = 0; i < epochs; i++) {
        umap.step();
        if (i % 20 === 0) worker.postMessage({ progress: i / epochs });
      }
      const out = umap.getEmbedding();
      worker.postMessage({ x: out.map((p) => p[0]!), y: out.map((p) => p[1]!) });
    } catch (err) {
      worker.postMessage({ error: err instanceof Error ? err.message : String(err) });
    }
  };
})();
