/**
 * Plans for a `query` under a document condition (engine/reader.ts): a broad one searches first and
 * checks the nearest records' documents after (#searchThenFilter); a narrower `$contains` ranks its
 * trigram candidates exactly and checks documents nearest first until k match (#nearestContaining).
 * Each must give the nearest matches: these tests compare with an exact answer computed here, count
 * the documents checked (a spy on the store's one-by-one check), and make the estimate wrong on
 * purpose to see the fallback.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Knn } from "../../src/index.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { rng } from "../helpers/rng.js";
import { tempClient } from "../helpers/tmp.js";

const N = 2000;
const DIM = 8;

function dataset(seed: number) {
  const rand = rng(seed);
  const vectors = Array.from({ length: N }, () => Array.from({ length: DIM }, () => rand() * 2 - 1));
  // 60% hold "common words"; 10% "midpoint words"; 5 "rare words"; the rest hold every trigram of
  // "common words" but not the phrase, so that finding all matches first has to verify every record.
  const documents = vectors.map((_, i) =>
    i % 5 < 3
      ? `doc ${i} with common words`
      : i % 400 === 4
        ? `doc ${i} rare words`
        : i % 10 === 3
          ? `doc ${i} midpoint words`
          : `doc ${i} common worders cards`,
  );
  return { rand, vectors, documents, ids: vectors.map((_, i) => `r${i}`) };
}

function l2(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

/** The exact k nearest ids among the records whose document contains `pattern`. */
function exactNearest(d: ReturnType<typeof dataset>, query: number[], pattern: string, k: number): string[] {
  return d.ids
    .map((id, i) => ({ id, doc: d.documents[i]!, dist: l2(d.vectors[i]!, query) }))
    .filter((r) => r.doc.includes(pattern))
    .sort((a, b) => a.dist - b.dist)
    .slice(0, k)
    .map((r) => r.id);
}

afterEach(() => vi.restoreAllMocks());

describe("plans for document conditions", () => {
  it("answers a broad $contains with the nearest matches, checking only a few documents", async () => {
    const d = dataset(7);
    const { client } = tempClient();
    const c = await client.createCollection({ name: "broad" });
    await c.add({ ids: d.ids, embeddings: d.vectors, documents: d.documents });
    await c.waitForIndexing();
    const check = vi.spyOn(SqliteStore.prototype, "checkDocumentCondition");

    let found = 0;
    let expected = 0;
    for (let q = 0; q < 30; q++) {
      const query = Array.from({ length: DIM }, () => d.rand() * 2 - 1);
      const r = await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: "common words" }, include: ["documents", "distances"] });
      expect(r.ids[0]).toHaveLength(10);
      for (const doc of r.documents[0]!) expect(doc).toContain("common words");
      const distances = r.distances[0]!;
      for (let i = 1; i < distances.length; i++) expect(distances[i]!).toBeGreaterThanOrEqual(distances[i - 1]!);
      const exact = new Set(exactNearest(d, query, "common words", 10));
      expected += exact.size;
      found += r.ids[0]!.filter((id) => exact.has(id)).length;
    }
    expect(found / expected).toBeGreaterThanOrEqual(0.95);
    // The search-first plan ran, and each run checked far fewer documents than the 1,200 matches.
    expect(check).toHaveBeenCalled();
    for (const call of check.mock.calls) expect(call[2].length).toBeLessThan(400);

    // The Search API's Knn under the same condition takes the same plan and finds the same records.
    const query = Array.from({ length: DIM }, () => d.rand() * 2 - 1);
    const viaQuery = await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: "common words" }, include: [] });
    const viaSearch = await c.search({ rank: Knn({ query, limit: 10 }), where: { "#document": { $contains: "common words" } }, limit: 10 });
    expect(viaSearch.ids[0]).toEqual(viaQuery.ids[0]);
  });

  it("finds a rare pattern's matches exactly among its few candidates", async () => {
    const d = dataset(8);
    const { client } = tempClient();
    const c = await client.createCollection({ name: "rare" });
    await c.add({ ids: d.ids, embeddings: d.vectors, documents: d.documents });
    const query = Array.from({ length: DIM }, () => d.rand() * 2 - 1);
    const r = await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: "rare" }, include: [] });
    expect(r.ids[0]).toEqual(exactNearest(d, query, "rare", 10));
    expect(r.ids[0]).toHaveLength(5);
  });

  it("checks a moderate pattern's candidates nearest first and stops at k matches, exactly", async () => {
    const d = dataset(10);
    const { client } = tempClient();
    const c = await client.createCollection({ name: "moderate" });
    await c.add({ ids: d.ids, embeddings: d.vectors, documents: d.documents });
    await c.waitForIndexing();
    const check = vi.spyOn(SqliteStore.prototype, "checkDocumentCondition");
    for (let q = 0; q < 10; q++) {
      const query = Array.from({ length: DIM }, () => d.rand() * 2 - 1);
      check.mockClear();
      const r = await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: "midpoint" }, include: [] });
      expect(r.ids[0]).toEqual(exactNearest(d, query, "midpoint", 10));
      // 200 records match (and are the candidates); nearest first, far fewer are read.
      const checked = check.mock.calls.reduce((n, call) => n + call[2].length, 0);
      expect(checked).toBeGreaterThan(0);
      expect(checked).toBeLessThan(200);
    }
  });

  it("falls back to finding every match when the nearest candidates hold too few", async () => {
    const rand = rng(12);
    const n = 6000;
    const vectors = Array.from({ length: n }, () => Array.from({ length: DIM }, () => rand() * 2 - 1));
    // 20 records hold "zebra"; the others hold all of its trigrams ("zeb", "ebr", "bra") but not the word.
    const documents = vectors.map((_, i) => (i % 300 === 7 ? `doc ${i} zebra` : `doc ${i} zebr ebra`));
    const { client } = tempClient();
    const c = await client.createCollection({ name: "fallback" });
    for (let i = 0; i < n; i += 3000) {
      const ids = vectors.slice(i, i + 3000).map((_, j) => `r${i + j}`);
      await c.add({ ids, embeddings: vectors.slice(i, i + 3000), documents: documents.slice(i, i + 3000) });
    }
    const check = vi.spyOn(SqliteStore.prototype, "checkDocumentCondition");
    const query = Array.from({ length: DIM }, () => rand() * 2 - 1);
    const r = await c.query({ queryEmbeddings: [query], nResults: 30, whereDocument: { $contains: "zebra" }, include: [] });
    const exact = vectors
      .map((v, i) => ({ id: `r${i}`, dist: l2(v, query), doc: documents[i]! }))
      .filter((x) => x.doc.includes("zebra"))
      .sort((a, b) => a.dist - b.dist)
      .map((x) => x.id);
    expect(r.ids[0]).toEqual(exact);
    expect(r.ids[0]).toHaveLength(20);
    // Nearest first checked the 4,096 nearest candidates, found too few, and the usual plan finished.
    expect(check.mock.calls.reduce((sum, call) => sum + call[2].length, 0)).toBe(4096);
  });

  it("falls back to filtering first when the estimate is stale and too few matches are near", async () => {
    const d = dataset(9);
    const { client } = tempClient();
    const c = await client.createCollection({ name: "stale" });
    await c.add({ ids: d.ids, embeddings: d.vectors, documents: d.documents });
    const query = Array.from({ length: DIM }, () => d.rand() * 2 - 1);
    // Takes the sample while 60% of the records hold "common words".
    await c.query({ queryEmbeddings: [query], nResults: 10, whereDocument: { $contains: "common words" }, include: [] });
    // Too few writes to renew the sample: 900 of the 1,200 matches lose the phrase.
    const changed = d.ids.filter((_, i) => i % 5 < 3).slice(0, 900);
    for (const id of changed) d.documents[d.ids.indexOf(id)] = `doc ${id} changed`;
    await c.update({
      ids: changed,
      embeddings: changed.map((id) => d.vectors[d.ids.indexOf(id)]!),
      documents: changed.map((id) => `doc ${id} changed`),
    });
    const check = vi.spyOn(SqliteStore.prototype, "checkDocumentCondition");

    const r = await c.query({ queryEmbeddings: [query], nResults: 350, whereDocument: { $contains: "common words" }, include: [] });
    expect(check).toHaveBeenCalled(); // tried search-first on the stale estimate ...
    expect(r.ids[0]).toHaveLength(300); // ... and still returned every match.
    expect(new Set(r.ids[0])).toEqual(new Set(exactNearest(d, query, "common words", 500)));
  });
});
