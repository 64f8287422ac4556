import { describe, expect, it } from "vitest";
import { PendingVectors } from "../../src/vector/pending.js";

/** The buffer of vectors waiting for HNSW (src/vector/pending.ts). */
describe("pending vectors", () => {
  it("minSeq is the lowest sequence number even when rows arrive out of order (a catch-up reads in rowid order)", () => {
    const p = new PendingVectors("l2", 2);
    p.set(1, Float32Array.of(1, 0), 9);
    p.set(2, Float32Array.of(0, 1), 3);
    p.set(3, Float32Array.of(1, 1), 7);
    expect(p.minSeq()).toBe(3);
    p.delete(2);
    expect(p.minSeq()).toBe(7);
  });

  it("scans exactly, skipping removed rows, and keeps rows in arrival order through compaction", () => {
    const p = new PendingVectors("l2", 2);
    for (let i = 1; i <= 1000; i++) p.set(i, Float32Array.of(i, 0), i);
    for (let i = 1; i <= 1000; i += 2) p.delete(i);
    for (let i = 1001; i <= 1600; i++) p.set(i, Float32Array.of(i, 0), i); // forces compaction
    expect(p.size).toBe(500 + 600);
    const hits = p.scan(Float32Array.of(3, 0), 3);
    expect([...hits.labels]).toEqual([2, 4, 6]);
    expect([...hits.distances]).toEqual([1, 1, 9]);
    // The oldest first: even labels from 2, then the later ones.
    const first = p.take(3);
    expect([...first.labels]).toEqual([2, 4, 6]);
    expect([...first.seqs]).toEqual([2, 4, 6]);
    expect(p.seqOf(1600)).toBe(1600);
  });

  it("a rewrite moves a label to the end with its new vector and sequence number", () => {
    const p = new PendingVectors("cosine", 2);
    p.set(5, Float32Array.of(3, 4), 1);
    p.set(6, Float32Array.of(1, 0), 2);
    p.set(5, Float32Array.of(0, 2), 3);
    const taken = p.take(2);
    expect([...taken.labels]).toEqual([6, 5]);
    // Stored normalised, as the cosine graph stores vectors.
    expect([...taken.vectors]).toEqual([1, 0, 0, 1]);
    expect(p.seqOf(5)).toBe(3);
  });
});
