/**
 * Read after acknowledged write, across processes: three processes share one folder; for a sequence
 * of writes (records: add, upsert, update, delete by id / where / whereDocument; collections:
 * create, modify, rename, delete), each made by one of them in turn, the next calls of the other two
 * (get, filtered get, full-text get, BM25 search, query, count, list and count collections) answer exactly what the
 * writer itself answers after its write. The order of those calls rotates from step to step, so each
 * kind of call is, some of the time, the first one a process makes after another's write.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { rng } from "../helpers/rng.js";
import { ALL, openProcs, type CollectionInfo, type Outcome, type Proc } from "./harness.js";

const DIM = 4;
const rand = rng(14);
const vec = () => Array.from({ length: DIM }, () => Math.round((rand() * 2 - 1) * 1000) / 1000);
const QUERY = { queryEmbeddings: [[1, 0, 0, 0], [0, -1, 0.5, 0]], nResults: 8, include: ["documents", "metadatas", "embeddings", "distances", "uris"] };

type Views = Record<string, Outcome<unknown>>;
interface GetValue {
  ids: string[];
  documents: (string | null)[];
  metadatas: (Record<string, unknown> | null)[];
}

/** The calls every process makes after each write, in an order starting at `start`. */
async function views(p: Proc, tracked: string[], start: number): Promise<Views> {
  const calls: [string, () => Promise<Outcome<unknown>>][] = [
    ["collections", async () => {
      const o = await p.tryClient<CollectionInfo[]>("listCollections");
      return o.ok ? { ok: true, value: o.value.map((c) => ({ id: c.id, name: c.name, metadata: c.metadata, configuration: c.configuration })) } : o;
    }],
    ["countCollections", () => p.tryClient("countCollections")],
  ];
  for (const id of tracked) {
    calls.push(
      [`${id}:get`, () => p.tryCol(id, "get", ALL)],
      [`${id}:query`, () => p.tryCol(id, "query", QUERY)],
      [`${id}:count`, () => p.tryCol(id, "count")],
      [`${id}:where`, () => p.tryCol(id, "get", { where: { n: { $gte: 2 } }, include: ["metadatas"] })],
      [`${id}:fulltext`, () => p.tryCol(id, "get", { whereDocument: { $contains: "apple" }, include: ["documents"] })],
      // BM25: its scores hang on corpus statistics, which every write of documents moves.
      [`${id}:bm25`, () => p.tryCol(id, "search", { rank: { $knn: { query: "apple pie", key: "#document", limit: 16 } }, select: ["#score", "#document"] })],
    );
  }
  const out: Views = {};
  for (let i = 0; i < calls.length; i++) {
    const [name, call] = calls[(start + i) % calls.length]!;
    out[name] = await call();
  }
  return out;
}

const value = <T>(o: Outcome<unknown> | undefined): T => {
  if (!o?.ok) throw new Error(`expected a value, got ${JSON.stringify(o)}`);
  return o.value as T;
};

describe("read after acknowledged write, across three processes", () => {
  it("every other process's next call sees exactly what the writer sees", async () => {
    const dir = tempDir("chromalite-mp-vis-");
    const procs = await openProcs(3, dir);
    const main = (await procs[0]!.client<CollectionInfo>("createCollection", { name: "vis", metadata: { v: 1 } })).id;
    let other = "";
    const tracked = [main];
    const ids = (v: Views, c = main) => value<GetValue>(v[`${c}:get`]).ids;

    type Step = { what: string; write: (p: Proc) => Promise<unknown>; check: (v: Views) => void };
    const letters = ["a", "b", "c", "d", "e", "f", "g"];
    const many = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const steps: Step[] = [
      {
        what: "add four records",
        write: (p) => p.col(main, "add", {
          ids: ["a", "b", "c", "d"],
          embeddings: [vec(), vec(), vec(), vec()],
          documents: ["apple pie", "banana", "cherry apple", "durian"],
          metadatas: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
        }),
        check: (v) => {
          expect(ids(v)).toEqual(["a", "b", "c", "d"]);
          expect(value<{ ids: string[][] }>(v[`${main}:bm25`]).ids[0]).toEqual(["a", "c"]);
        },
      },
      {
        what: "add two more and an existing id (left as it is)",
        write: (p) => p.col(main, "add", { ids: ["e", "f", "a"], embeddings: [vec(), vec(), vec()], documents: ["elder", "fig apple", "changed?"], metadatas: [{ n: 5 }, { n: 6 }, { n: 99 }] }),
        check: (v) => {
          expect(ids(v)).toEqual(letters.slice(0, 6));
          expect(value<GetValue>(v[`${main}:get`]).documents[0]).toBe("apple pie");
        },
      },
      {
        what: "upsert an existing record and a new one",
        write: (p) => p.col(main, "upsert", { ids: ["b", "g"], embeddings: [vec(), vec()], documents: ["big apple", "grape"], metadatas: [{ n: 0, tag: "x" }, { n: 7 }] }),
        check: (v) => {
          expect(ids(v)).toEqual(letters);
          expect(value<GetValue>(v[`${main}:fulltext`]).ids).toEqual(["a", "b", "c", "f"]);
        },
      },
      {
        what: "update metadata (a null deletes the key) and a document",
        write: (p) => p.col(main, "update", { ids: ["c"], metadatas: [{ n: null, extra: 9 }], documents: ["cherry"], embeddings: [vec()] }),
        check: (v) => {
          expect(value<GetValue>(v[`${main}:get`]).metadatas[2]).toEqual({ extra: 9 });
          expect(value<GetValue>(v[`${main}:fulltext`]).ids).toEqual(["a", "b", "f"]);
        },
      },
      {
        what: "update an embedding only",
        write: (p) => p.col(main, "update", { ids: ["d"], embeddings: [[1, 0, 0, 0]] }),
        check: (v) => expect((value<{ ids: string[][] }>(v[`${main}:query`])).ids[0]![0]).toBe("d"),
      },
      {
        what: "delete by ids",
        write: (p) => p.col(main, "delete", { ids: ["a", "e"] }),
        check: (v) => expect(ids(v)).toEqual(["b", "c", "d", "f", "g"]),
      },
      {
        what: "delete by where",
        write: (p) => p.col(main, "delete", { where: { n: { $gte: 6 } } }),
        check: (v) => expect(ids(v)).toEqual(["b", "c", "d"]),
      },
      {
        what: "delete by whereDocument",
        write: (p) => p.col(main, "delete", { whereDocument: { $contains: "big" } }),
        check: (v) => expect(ids(v)).toEqual(["c", "d"]),
      },
      {
        what: "add 300 records in one batch",
        write: (p) => p.col(main, "add", { ids: many, embeddings: many.map(vec), metadatas: many.map((_, i) => ({ n: i % 5 })) }),
        check: (v) => expect(value(v[`${main}:count`])).toBe(302),
      },
      {
        what: "modify the collection's metadata",
        write: (p) => p.col(main, "modify", { metadata: { v: 2, owner: "p" } }),
        check: (v) => expect(value<{ metadata: unknown }[]>(v.collections)[0]!.metadata).toEqual({ v: 2, owner: "p" }),
      },
      {
        what: "change the collection's search configuration",
        write: (p) => p.col(main, "modify", { configuration: { hnsw: { ef_search: 33 } } }),
        check: (v) => expect(value<{ configuration: { hnsw: { ef_search: number } } }[]>(v.collections)[0]!.configuration.hnsw.ef_search).toBe(33),
      },
      {
        what: "rename the collection",
        write: (p) => p.col(main, "modify", { name: "vis-renamed" }),
        check: (v) => expect(value<{ name: string }[]>(v.collections).map((c) => c.name)).toEqual(["vis-renamed"]),
      },
      {
        what: "create a second collection",
        write: async (p) => {
          other = (await p.client<CollectionInfo>("createCollection", { name: "other" })).id;
          tracked.push(other);
        },
        check: (v) => expect(value(v.countCollections)).toBe(2),
      },
      {
        what: "add to the second collection",
        write: (p) => p.col(other, "add", { ids: ["x", "y"], embeddings: [vec(), vec()], documents: ["apple x", "y"], metadatas: [{ n: 2 }, { n: 3 }] }),
        check: (v) => expect(ids(v, other)).toEqual(["x", "y"]),
      },
      {
        what: "delete the second collection",
        write: (p) => p.client("deleteCollection", { name: "other" }),
        check: (v) => {
          expect(v[`${other}:get`]).toMatchObject({ ok: false, error: { name: "NotFoundError" } });
          expect(value(v.countCollections)).toBe(1);
        },
      },
      {
        what: "recreate a collection under the deleted one's name",
        write: (p) => p.client("createCollection", { name: "other", metadata: { again: true } }),
        check: (v) => expect(value<{ name: string }[]>(v.collections).map((c) => c.name)).toEqual(["vis-renamed", "other"]),
      },
      {
        what: "delete the first collection",
        write: (p) => p.client("deleteCollection", { name: "vis-renamed" }),
        check: (v) => {
          expect(v[`${main}:count`]).toMatchObject({ ok: false, error: { name: "NotFoundError" } });
          expect(value<{ name: string }[]>(v.collections).map((c) => c.name)).toEqual(["other"]);
        },
      },
    ];

    for (const [i, step] of steps.entries()) {
      const writer = procs[i % 3]!;
      await step.write(writer);
      const seen = await views(writer, tracked, i);
      step.check(seen);
      for (const [j, observer] of procs.entries()) {
        if (observer === writer) continue;
        const theirs = await views(observer, tracked, i + j * 3);
        expect(theirs, `step ${i} (${step.what}, written by ${writer.label}): ${observer.label} disagrees with the writer`).toEqual(seen);
      }
    }
  });
});

describe("read after acknowledged write, while the writer keeps writing", () => {
  it("a call begun after the writer's n-th acknowledgement sees at least n records, and the n-th one", async () => {
    const dir = tempDir("chromalite-mp-vis-");
    const [writer, b, c] = await openProcs(3, dir);
    const col = (await writer!.client<CollectionInfo>("createCollection", { name: "stream" })).id;
    const COUNT = 150;
    const checks: Promise<void>[] = [];
    let acked = -1;
    let failure: string | undefined;
    writer!.onEvent((e) => {
      if (e.type === "failed") failure = e.error;
      if (e.type !== "ack") return;
      const n = e.n;
      acked = n;
      // Sent now, so the call begins after the acknowledgement; the writer goes on writing meanwhile.
      const reader = n % 2 === 0 ? b! : c!;
      checks.push(
        (async () => {
          const [count, got, q] = await Promise.all([
            reader.col<number>(col, "count"),
            reader.col<{ ids: string[] }>(col, "get", { ids: [`a${n}`] }),
            reader.col<{ ids: string[][] }>(col, "query", { queryEmbeddings: [[n, 1, 0, 0]], nResults: 1 }),
          ]);
          expect(count, `${reader.label}: count after ack ${n}`).toBeGreaterThanOrEqual(n + 1);
          expect(got.ids, `${reader.label}: get after ack ${n}`).toEqual([`a${n}`]);
          expect(q.ids[0], `${reader.label}: query after ack ${n}`).toEqual([`a${n}`]);
        })(),
      );
    });
    await writer!.call({ op: "appendLoop", collection: col, count: COUNT });
    const deadline = Date.now() + 50_000;
    while (acked < COUNT - 1 && !failure && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(failure).toBeUndefined();
    expect(acked).toBe(COUNT - 1);
    await Promise.all(checks);
    expect(checks).toHaveLength(COUNT);
  });
});

/** The collection's last seq and its log floor (the one collection of the folder), read from SQLite directly. */
function logState(dir: string): { seq: number; floor: number } {
  const db = new Database(path.join(dir, "chroma.sqlite3"), { readonly: true });
  try {
    const floor = db.prepare("SELECT value FROM store_info WHERE key LIKE 'log_floor:%'").pluck().get() as string | undefined;
    const seq = db.prepare("SELECT max(seq) FROM collections").pluck().get() as number;
    return { seq, floor: Number(floor ?? 0) };
  } finally {
    db.close();
  }
}

describe("a process whose index fell behind the trimmed write log", () => {
  it("answers exactly, without the records deleted and trimmed from the log while it was idle", async () => {
    const dir = tempDir("chromalite-mp-vis-");
    const [a, b] = await openProcs(2, dir);
    const col = (await a!.client<CollectionInfo>("createCollection", { name: "trimmed" })).id;
    const r = rng(7);
    const v4 = () => Array.from({ length: 4 }, () => Math.round((r() * 2 - 1) * 1000) / 1000);
    const live = new Map<string, number[]>();
    const add = async (from: number, n: number) => {
      const ids = Array.from({ length: n }, (_, i) => `t${from + i}`);
      const embeddings = ids.map(v4);
      await a!.col(col, "add", { ids, embeddings });
      ids.forEach((id, i) => live.set(id, embeddings[i]!));
    };
    const del = async (ids: string[]) => {
      await a!.col(col, "delete", { ids });
      ids.forEach((id) => live.delete(id));
    };
    await add(0, 400);
    // B loads the index now and then stays idle while A deletes, saves (trimming the deletions from
    // the log) and writes on.
    await b!.col(col, "query", { queryEmbeddings: [v4()], nResults: 1 });
    const seqAtLoad = logState(dir).seq;
    for (let round = 0; round < 3; round++) {
      await del([...live.keys()].filter((_, i) => i % 3 === round % 3).slice(0, 80));
      await add(400 + round * 50, 50);
      await a!.client("flush");
    }
    const exact = (q: number[], k: number) =>
      [...live]
        .map(([id, e]) => [id, e.reduce((s, x, i) => s + (x - q[i]!) ** 2, 0)] as const)
        .sort((x, y) => x[1] - y[1])
        .slice(0, k)
        .map(([id]) => id);
    // The deletions B has not seen are gone from the log: it cannot catch up from there.
    expect(logState(dir).floor, "the log was trimmed past where B's index stands").toBeGreaterThan(seqAtLoad);
    expect(await b!.col(col, "count")).toBe(live.size);
    for (let i = 0; i < 20; i++) {
      const q = v4();
      const got = await b!.col<{ ids: string[][] }>(col, "query", { queryEmbeddings: [q], nResults: 5 });
      expect(got.ids[0], `query ${i} in the process that was behind`).toEqual(exact(q, 5));
    }
  });
});

describe("races between processes", () => {
  it("creating one name at once: one wins, the others get UniqueConstraintError; getOrCreate gives all the same collection", async () => {
    const dir = tempDir("chromalite-mp-race-");
    const procs = await openProcs(3, dir);
    for (let round = 0; round < 5; round++) {
      const created = await Promise.all(procs.map((p) => p.tryClient<CollectionInfo>("createCollection", { name: `race-${round}` })));
      expect(created.filter((o) => o.ok), `round ${round}: ${JSON.stringify(created)}`).toHaveLength(1);
      for (const o of created) if (!o.ok) expect(o.error.name).toBe("UniqueConstraintError");
      const got = await Promise.all(procs.map((p) => p.client<CollectionInfo>("getOrCreateCollection", { name: `both-${round}` })));
      expect(new Set(got.map((c) => c.id)).size, `round ${round}: getOrCreate ids`).toBe(1);
    }
    for (const p of procs) expect(await p.client("countCollections")).toBe(10);
  });

  it("adds of the same ids from three processes at once: each record is one process's, whole, seen alike by all", async () => {
    const dir = tempDir("chromalite-mp-race-");
    const procs = await openProcs(3, dir);
    const col = (await procs[0]!.client<CollectionInfo>("createCollection", { name: "same-ids" })).id;
    const ids = Array.from({ length: 50 }, (_, i) => `s${i}`);
    for (let round = 0; round < 5; round++) {
      const batch = ids.map((id) => `${id}-${round}`);
      await Promise.all(
        procs.map((p, k) => p.col(col, round % 2 ? "upsert" : "add", { ids: batch, embeddings: batch.map(() => [k, round]), documents: batch.map(() => `by ${k}`), metadatas: batch.map(() => ({ k })) })),
      );
      const seen = await Promise.all(procs.map((p) => p.col<{ ids: string[]; documents: string[]; metadatas: { k: number }[]; embeddings: number[][] }>(col, "get", { ids: batch, ...ALL })));
      for (const s of seen) expect(s, "every process sees the same records").toEqual(seen[0]);
      const got = seen[0]!;
      expect(got.ids).toEqual(batch);
      // One batch is the last for all of them (a transaction each): the records are all one writer's.
      const writers = new Set(got.metadatas.map((m) => m.k));
      expect(writers.size, `round ${round}: records from writers ${[...writers].join(",")}`).toBe(1);
      const k = [...writers][0]!;
      expect(got.documents.every((d) => d === `by ${k}`) && got.embeddings.every((e) => e[0] === k && e[1] === round)).toBe(true);
    }
  });
});

describe("deletions another process's index still holds", () => {
  it("a collection deleted (or reset away) by one process is gone for the other, which leaves no index files of it behind", async () => {
    const dir = tempDir("chromalite-mp-gone-");
    const [a, b] = await openProcs(2, dir, { allowReset: true });
    const make = async (name: string) => {
      const id = (await a!.client<CollectionInfo>("createCollection", { name })).id;
      const ids = Array.from({ length: 300 }, (_, i) => `${name}-${i}`);
      await a!.col(id, "add", { ids, embeddings: ids.map((_, i) => [Math.sin(i), Math.cos(i), i / 300]) });
      return id;
    };
    const indexFolders = () => (fs.existsSync(path.join(dir, "index")) ? fs.readdirSync(path.join(dir, "index")).sort() : []);

    const x = await make("doomed");
    const keep = await make("kept");
    // B holds both indexes in memory, with changes of its own not yet saved.
    await b!.col(x, "query", { queryEmbeddings: [[1, 0, 0]], nResults: 3 });
    await b!.col(keep, "query", { queryEmbeddings: [[1, 0, 0]], nResults: 3 });
    await b!.col(x, "add", { ids: ["late"], embeddings: [[0, 0, 1]] });
    await a!.client("deleteCollection", { name: "doomed" });
    expect(await b!.tryCol(x, "count")).toMatchObject({ ok: false, error: { name: "NotFoundError" } });
    await b!.client("flush");
    await a!.client("flush");
    expect(indexFolders(), "index folders after B's flush").toEqual([keep].sort());

    await b!.col(keep, "add", { ids: ["more"], embeddings: [[0, 1, 0]] });
    await a!.client("reset");
    expect(await b!.client("listCollections")).toEqual([]);
    expect(await b!.tryCol(keep, "get")).toMatchObject({ ok: false, error: { name: "NotFoundError" } });
    await b!.client("flush");
    expect(indexFolders(), "index folders after a reset and B's flush").toEqual([]);

    // And the folder goes on: B creates, A sees.
    const fresh = (await b!.client<CollectionInfo>("createCollection", { name: "after-reset" })).id;
    await b!.col(fresh, "add", { ids: ["z"], embeddings: [[1, 1, 1]] });
    expect((await a!.col<{ ids: string[] }>(fresh, "get")).ids).toEqual(["z"]);
    expect((await a!.col<{ ids: string[][] }>(fresh, "query", { queryEmbeddings: [[1, 1, 1]], nResults: 1 })).ids).toEqual([["z"]]);
  });
});
