/**
 * Filters at and past their limits (model/filter-limits.ts): long $and/$or (SQLite allows 500 terms
 * per compound query), deep nesting, long patterns; and filters run off the main thread (large
 * collections, $regex) answer exactly what the same filter does on a small one.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type Where } from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";

async function seeded(n: number) {
  const { client } = tempClient();
  const c = await client.createCollection({ name: "limits" });
  for (let i = 0; i < n; i += 2000) {
    const ids = Array.from({ length: Math.min(2000, n - i) }, (_, j) => i + j);
    await c.add({
      ids: ids.map((k) => `r${k}`),
      embeddings: ids.map((k) => [k % 13, k % 7]),
      metadatas: ids.map((k) => ({ n: k, s: `v${k % 50}` })),
      documents: ids.map((k) => `document ${k} ${k % 3 === 0 ? "fizz" : "buzz"}`),
    });
  }
  return c;
}

const ids = (ns: number[]) => ns.map((k) => `r${k}`);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("filter limits", () => {
  it("$or and $and with more than 500 terms work, and match the model", async () => {
    const c = await seeded(1000);
    const or: Where = { $or: range(1200).map((i) => (i % 2 ? { n: i } : { n: { $gte: 990 + (i % 10) } })) };
    expect((await c.get({ where: or, include: [] })).ids.sort()).toEqual(
      ids(range(1000).filter((k) => (k < 1200 && k % 2 === 1) || k >= 990)).sort(),
    );
    const and: Where = { $and: range(600).map((i) => ({ n: { $ne: i } })) };
    expect((await c.get({ where: and, include: [] })).ids).toEqual(ids(range(1000).slice(600)));
  });

  it("nesting up to the limit works; deeper, more terms or longer patterns are InvalidArgumentError", async () => {
    const c = await seeded(10);
    let w: Where = { n: 3 };
    for (let i = 0; i < 60; i++) w = { $and: [w, { n: { $gte: 0 } }] };
    expect((await c.get({ where: w })).ids).toEqual(["r3"]);
    let deep: Where = { n: 3 };
    for (let i = 0; i < 2000; i++) deep = { $or: [deep] };
    await expect(c.get({ where: deep })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ where: { $or: range(2001).map((i) => ({ n: i })) } })).rejects.toThrow(/more than 2000 conditions/);
    expect((await c.get({ where: { $or: range(1999).map((i) => ({ n: i })) } })).ids).toHaveLength(10);
    expect((await c.get({ whereDocument: { $contains: "d".repeat(65_536) } })).ids).toEqual([]);
    await expect(c.get({ whereDocument: { $contains: "d".repeat(65_537) } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.get({ whereDocument: { $regex: "d".repeat(2049) } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("filters run off the main thread (large collection, $regex) answer as on the main thread", async () => {
    const c = await seeded(6000);
    const n = (r: { ids: string[] }) => r.ids.length;
    // conditions x records > 5,000: run in a worker thread.
    expect(n(await c.get({ where: { n: { $lt: 100 } }, include: [] }))).toBe(100);
    expect((await c.get({ where: { $or: [{ n: 5 }, { s: "v7" }] }, include: [] })).ids.slice(0, 3)).toEqual(["r5", "r7", "r57"]);
    expect(n(await c.get({ whereDocument: { $regex: "fizz$" }, include: [] }))).toBe(2000);
    expect(n(await c.get({ whereDocument: { $not_regex: "fizz$" }, include: [] }))).toBe(4000);
    expect((await c.get({ whereDocument: { $regex: "^document 599[0-9] fizz" }, limit: 2, include: [] })).ids).toEqual(["r5991", "r5994"]);
    const q = await c.query({ queryEmbeddings: [[0, 0]], nResults: 3, whereDocument: { $regex: "fizz" }, include: [] });
    expect(q.ids[0]).toHaveLength(3);
    await c.delete({ whereDocument: { $regex: "^document 1[0-9]{3} " } });
    expect(await c.count()).toBe(5000);
  });
});
