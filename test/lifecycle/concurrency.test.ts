import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortError } from "../../src/index.js";
import { RecordWrites } from "../../src/store/record-writes.js";
import { tempClient } from "../helpers/tmp.js";

afterEach(() => vi.restoreAllMocks());

/**
 * Many callers, no deadlock: ~1,500 concurrent mixed calls on one client and four collections all
 * finish, and every read sees whole batches only (writes to a collection are serialised and atomic).
 */
describe("many concurrent callers", () => {
  it("completes >= 1000 concurrent mixed operations with serialisable results", async () => {
    const { client } = tempClient();
    const names = ["col0", "col1", "col2", "col3"];
    const collections = await Promise.all(names.map((name) => client.createCollection({ name })));
    const BATCH = 10;
    const DIM = 8;
    const vec = (b: number, i: number) => Array.from({ length: DIM }, (_, j) => Math.sin(b * 7 + i * 3 + j));
    type Outcome = { kind: string; col: number; batch?: number; value?: unknown };
    const ops: Promise<Outcome>[] = [];
    let nextBatch = 0;
    const added = new Map<number, number>(); // batch -> collection
    for (let n = 0; n < 1500; n++) {
      const col = n % collections.length;
      const c = collections[col]!;
      const r = (n * 2654435761) % 100;
      if (r < 40) {
        const b = nextBatch++;
        added.set(b, col);
        const ids = Array.from({ length: BATCH }, (_, i) => `b${b}-${i}`);
        ops.push(
          c
            .add({ ids, embeddings: ids.map((_, i) => vec(b, i)), metadatas: ids.map(() => ({ batch: b })), documents: ids })
            .then(() => ({ kind: "add", col, batch: b })),
        );
      } else if (r < 50) {
        const b = Math.floor((n * 31) % Math.max(1, nextBatch));
        ops.push(c.delete({ where: { batch: b } }).then((res) => ({ kind: "delete", col, batch: b, value: res.deleted })));
      } else if (r < 75) {
        ops.push(c.get({ include: ["metadatas"] }).then((res) => ({ kind: "get", col, value: res })));
      } else if (r < 95) {
        ops.push(
          c
            .query({ queryEmbeddings: [vec(n, 0)], nResults: 5, include: ["distances", "metadatas"] })
            .then((res) => ({ kind: "query", col, value: res })),
        );
      } else {
        ops.push(c.count().then((value) => ({ kind: "count", col, value })));
      }
    }
    const outcomes = await Promise.all(ops);
    expect(outcomes).toHaveLength(1500);

    const deleted = new Set<number>();
    for (const o of outcomes) {
      if (o.kind === "get") {
        const res = o.value as { ids: string[]; metadatas: ({ batch: number } | null)[] };
        const perBatch = new Map<number, number>();
        for (const m of res.metadatas) perBatch.set(m!.batch, (perBatch.get(m!.batch) ?? 0) + 1);
        for (const [b, k] of perBatch) {
          expect(k, `batch ${b} seen partially`).toBe(BATCH);
          expect(added.get(b)).toBe(o.col);
        }
      } else if (o.kind === "query") {
        const res = o.value as { ids: string[][]; distances: number[][] };
        const d = res.distances[0]!;
        for (let i = 1; i < d.length; i++) expect(d[i]!).toBeGreaterThanOrEqual(d[i - 1]!);
      } else if (o.kind === "count") {
        expect((o.value as number) % BATCH).toBe(0);
      } else if (o.kind === "delete") {
        // A delete sees a batch whole or not at all; a batch of another collection is never touched.
        expect([0, BATCH]).toContain(o.value);
        if (o.value === BATCH) {
          expect(added.get(o.batch!)).toBe(o.col);
          deleted.add(o.batch!);
        }
      }
    }
    for (const [col, c] of collections.entries()) {
      const expected = [...added].filter(([b, cc]) => cc === col && !deleted.has(b)).length * BATCH;
      expect(await c.count()).toBe(expected);
    }
  }, 120_000);

  it("a catalog change made while another write is open is not rolled back with that write", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "busy" });
    const controller = new AbortController();
    let created: Promise<void> | undefined;
    // At the bulk write's first record (its transaction is open), create a tenant and a database,
    // then cancel the write, which rolls its transaction back.
    const insert = Object.getOwnPropertyDescriptor(RecordWrites.prototype, "insertRecord")!.value as (
      this: RecordWrites,
      ...args: Parameters<RecordWrites["insertRecord"]>
    ) => number;
    vi.spyOn(RecordWrites.prototype, "insertRecord").mockImplementation(function (this: RecordWrites, ...args) {
      if (!created) {
        created = client.createTenant({ name: "acme" }).then(() => client.createDatabase({ name: "meanwhile", tenant: "acme" }));
        setImmediate(() => controller.abort());
      }
      return insert.apply(this, args);
    });
    const vs = Array.from({ length: 3000 }, (_, i) => [i, 1]);
    await expect(c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs, signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    await created;
    vi.restoreAllMocks();
    expect(await c.count()).toBe(0);
    expect(await client.getTenant({ name: "acme" })).toBe("acme");
    expect((await client.getDatabase({ name: "meanwhile", tenant: "acme" })).name).toBe("meanwhile");
  });
});

describe("reads during a write in progress", () => {
  it("count, get and query answer from committed data at once, without waiting for a large add to commit", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "during" });
    const vec = (i: number) => Array.from({ length: 32 }, (_, j) => Math.sin(i * 13 + j));
    await c.add({ ids: ["first"], embeddings: [vec(0)], documents: ["first"] });
    const ids = Array.from({ length: 5000 }, (_, i) => `big${i}`);
    let addDone = false;
    // 5,000 rows: written in slices that let the event loop turn, then committed whole.
    const add = c.add({ ids, embeddings: ids.map((_, i) => vec(i + 1)), documents: ids }).then(() => (addDone = true));
    const seen: { count: number; got: number; hits: number; addDone: boolean }[] = [];
    while (!addDone) {
      const [count, got, hits] = await Promise.all([
        c.count(),
        c.get({ include: [] }),
        c.query({ queryEmbeddings: [vec(1)], nResults: 5, include: [] }),
      ]);
      seen.push({ count, got: got.ids.length, hits: hits.ids[0]!.length, addDone });
    }
    await add;
    // Some reads ran while the add was in progress, and each saw it all or nothing.
    const during = seen.filter((s) => !s.addDone);
    expect(during.length).toBeGreaterThan(0);
    for (const s of during) {
      expect([1, 5001]).toContain(s.count);
      expect(s.got).toBe(s.count);
      expect(s.hits).toBe(Math.min(5, s.count));
    }
    expect(during.some((s) => s.count === 1)).toBe(true);
    expect(await c.count()).toBe(5001);
  });
});
