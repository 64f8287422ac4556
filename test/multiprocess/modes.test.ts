/**
 * The opening modes across processes: `exclusive: true` (one process, as before: any second opener
 * is refused, and a shared holder keeps an exclusive opener out), the shared default, and
 * `readOnly: true` (sees the writes others acknowledge, refuses every write with ReadOnlyError and
 * changes nothing; alone on a closed folder it leaves every file as it was, and leaves none behind).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { ALL, openProcs, spawnProc, type CollectionInfo, type Proc } from "./harness.js";

const MODES = { shared: {}, exclusive: { exclusive: true }, readOnly: { readOnly: true } } as const;

async function refusal(dir: string, options: Record<string, unknown>, label: string) {
  const p = await spawnProc(label);
  return p.request({ op: "open", options: { path: dir, ...options } });
}

describe("exclusive and shared", () => {
  for (const [mode, options] of Object.entries(MODES)) {
    it(`an exclusive holder refuses ${mode === "exclusive" ? "an" : "a"} ${mode} opener with a LockedError naming it, and an exclusive open works once it closes`, async () => {
      const dir = tempDir("chromalite-mp-modes-");
      const [holder] = await openProcs(1, dir, MODES.exclusive, "X");
      const c = await holder!.client<CollectionInfo>("createCollection", { name: "held" });
      await holder!.col(c.id, "add", { ids: ["x"], embeddings: [[1, 2]] });
      const o = await refusal(dir, options, mode);
      expect(o, `a ${mode} opener`).toMatchObject({ ok: false, error: { name: "LockedError", code: "LOCKED" } });
      if (!o.ok) {
        expect(o.error.message).toContain(String(holder!.pid));
        expect(o.error.message, "the message says the holder has it exclusively").toMatch(/exclusive/i);
      }
      await holder!.close();
      const [next] = await openProcs(1, dir, MODES.exclusive, "X2");
      expect(await next!.col(c.id, "count")).toBe(1);
    });
  }

  it("a shared holder refuses an exclusive opener, and admits shared and read-only ones", async () => {
    const dir = tempDir("chromalite-mp-modes-");
    const [holder] = await openProcs(1, dir, MODES.shared, "S");
    const o = await refusal(dir, MODES.exclusive, "E");
    expect(o).toMatchObject({ ok: false, error: { name: "LockedError", code: "LOCKED" } });
    if (!o.ok) expect(o.error.message, "the message says why: others share the folder").toMatch(/shared|exclusive/i);
    const [other] = await openProcs(1, dir, MODES.shared, "S2");
    const [reader] = await openProcs(1, dir, MODES.readOnly, "R");
    const c = await other!.client<CollectionInfo>("createCollection", { name: "col" });
    await holder!.col(c.id, "add", { ids: ["x"], embeddings: [[1, 2]] });
    expect(await reader!.col(c.id, "count")).toBe(1);
    await holder!.close();
    await other!.close();
    await reader!.close();
    await openProcs(1, dir, MODES.exclusive, "E3");
  });
});

/** Every write API, each on its own: all must fail with ReadOnlyError. */
function writeCalls(c: string): [string, (p: Proc) => ReturnType<Proc["request"]>][] {
  const rec = { ids: ["new"], embeddings: [[0, 0, 1]] };
  return [
    ["add", (p) => p.tryCol(c, "add", rec)],
    ["upsert", (p) => p.tryCol(c, "upsert", { ids: ["a"], embeddings: [[9, 9, 9]] })],
    ["update", (p) => p.tryCol(c, "update", { ids: ["a"], metadatas: [{ n: 42 }] })],
    ["delete by ids", (p) => p.tryCol(c, "delete", { ids: ["a"] })],
    ["delete by where", (p) => p.tryCol(c, "delete", { where: { n: 1 } })],
    ["modify metadata", (p) => p.tryCol(c, "modify", { metadata: { changed: true } })],
    ["rename", (p) => p.tryCol(c, "modify", { name: "renamed" })],
    ["createCollection", (p) => p.tryClient("createCollection", { name: "fresh" })],
    ["getOrCreateCollection of a new name", (p) => p.tryClient("getOrCreateCollection", { name: "fresh2" })],
    ["deleteCollection", (p) => p.tryClient("deleteCollection", { name: "readonly" })],
    ["createDatabase", (p) => p.tryClient("createDatabase", { name: "database2" })],
    ["deleteDatabase", (p) => p.tryClient("deleteDatabase", { name: "extra" })],
    ["createTenant", (p) => p.tryClient("createTenant", { name: "tenant2" })],
    ["reset", (p) => p.tryClient("reset")],
  ];
}

interface Everything {
  collections: { name: string; metadata: unknown }[];
  records: unknown;
  databases: unknown;
}

async function everything(p: Proc, c: string): Promise<Everything> {
  const list = await p.client<CollectionInfo[]>("listCollections");
  return {
    collections: list.map((x) => ({ name: x.name, metadata: x.metadata })),
    records: await p.col(c, "get", ALL),
    databases: await p.client("listDatabases"),
  };
}

describe("readOnly", () => {
  it("sees another process's acknowledged writes, refuses every write with ReadOnlyError, and changes nothing", async () => {
    const dir = tempDir("chromalite-mp-ro-");
    const [writer] = await openProcs(1, dir, MODES.shared, "W");
    const c = (await writer!.client<CollectionInfo>("createCollection", { name: "readonly", metadata: { v: 1 } })).id;
    await writer!.client("createDatabase", { name: "extra" });
    const [reader] = await openProcs(1, dir, { readOnly: true, allowReset: true }, "R");

    const writes: [string, () => Promise<unknown>][] = [
      ["add", () => writer!.col(c, "add", { ids: ["a", "b"], embeddings: [[1, 0, 0], [0, 1, 0]], documents: ["apple", "pear"], metadatas: [{ n: 1 }, { n: 2 }] })],
      ["update", () => writer!.col(c, "update", { ids: ["a"], metadatas: [{ n: 3 }], documents: ["apricot"], embeddings: [[1, 1, 0]] })],
      ["delete", () => writer!.col(c, "delete", { ids: ["b"] })],
      ["create a collection", () => writer!.client("createCollection", { name: "second" })],
      ["add again", () => writer!.col(c, "add", { ids: ["c"], embeddings: [[0, 0, 1]] })],
    ];
    for (const [what, write] of writes) {
      await write();
      const theirs = await everything(reader!, c);
      expect(theirs, `after the writer's ${what}`).toEqual(await everything(writer!, c));
      const q = { queryEmbeddings: [[1, 1, 0]], nResults: 3, include: ["distances", "documents"] };
      expect(await reader!.col(c, "query", q), `query after the writer's ${what}`).toEqual(await writer!.col(c, "query", q));
      expect(await reader!.col(c, "get", { whereDocument: { $contains: "ap" } })).toEqual(await writer!.col(c, "get", { whereDocument: { $contains: "ap" } }));
    }

    const before = await everything(writer!, c);
    for (const [what, call] of writeCalls(c)) {
      expect(await call(reader!), `${what} from a read-only process`).toMatchObject({ ok: false, error: { name: "ReadOnlyError" } });
    }
    expect(await everything(writer!, c), "the writer sees nothing changed").toEqual(before);
    expect(await everything(reader!, c), "the reader sees nothing changed").toEqual(before);
  });

  it("alone on a closed folder, writes nothing: every file's bytes, size and mtime stay, none is left (SQLite's -wal/-shm only while open)", async () => {
    const dir = tempDir("chromalite-mp-ro-");
    const [writer] = await openProcs(1, dir, MODES.shared, "W");
    const c = (await writer!.client<CollectionInfo>("createCollection", { name: "readonly", configuration: { hnsw: { sync_threshold: 100 } } })).id;
    const ids = Array.from({ length: 400 }, (_, i) => `r${i}`);
    const vec = (i: number) => [Math.sin(i), Math.cos(i), Math.sin(i * 0.37)];
    await writer!.col(c, "add", { ids, embeddings: ids.map((_, i) => vec(i)), documents: ids.map((id) => `doc ${id}`), metadatas: ids.map((_, i) => ({ n: i % 7 })) });
    await writer!.client("createCollection", { name: "empty" });
    await writer!.col(c, "delete", { ids: ids.slice(0, 30) });
    const expected = await writer!.col(c, "get", ALL);
    await writer!.close();
    const files = snapshot(dir);
    expect(Object.keys(files).some((f) => f.startsWith("index")), "the writer left index files to read").toBe(true);

    const [reader] = await openProcs(1, dir, MODES.readOnly, "R");
    expect(await reader!.col(c, "get", ALL)).toEqual(expected);
    expect(await reader!.col(c, "count")).toBe(370);
    const q = await reader!.col<{ ids: string[][] }>(c, "query", { queryEmbeddings: [vec(100)], nResults: 2 });
    expect(q.ids[0]![0]).toBe("r100");
    expect((await reader!.col<{ ids: string[] }>(c, "get", { whereDocument: { $contains: "r399" } })).ids).toEqual(["r399"]);
    expect(await reader!.client("countCollections")).toBe(2);
    expect(await reader!.tryCol(c, "add", { ids: ["x"], embeddings: [[1, 1, 1]] })).toMatchObject({ ok: false, error: { name: "ReadOnlyError" } });
    await reader!.tryClient("flush"); // refused or a no-op: either way nothing may be written
    // SQLite makes its -wal and -shm to read a WAL database (better-sqlite3 has no `immutable=1`); the
    // README allows those two while reading, removed on close. Every other entry stays as it was.
    const open = snapshot(dir);
    const companions = ["chroma.sqlite3-wal", "chroma.sqlite3-shm"];
    expect(Object.keys(open).filter((k) => !(k in files)).every((k) => companions.includes(k)), `entries made while reading: ${Object.keys(open).join(", ")}`).toBe(true);
    for (const k of companions) delete open[k];
    expect(open, "the folder while a read-only process has it open (SQLite's -wal/-shm aside)").toEqual(files);
    await reader!.close();

    expect(snapshot(dir), "the folder after a read-only process used it").toEqual(files);
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);
  });
});

describe("several read-only processes", () => {
  it("one closing does not cut another off from the writes that come after", async () => {
    const dir = tempDir("chromalite-mp-ro2-");
    const [seeder] = await openProcs(1, dir, MODES.shared, "W");
    const c = (await seeder!.client<CollectionInfo>("createCollection", { name: "readonly" })).id;
    await seeder!.col(c, "add", { ids: ["a"], embeddings: [[1, 2, 3]] });
    await seeder!.close();
    // The first reader finds the folder closed (it makes SQLite's -wal/-shm), the second joins it.
    const [first] = await openProcs(1, dir, MODES.readOnly, "R1");
    expect(await first!.col(c, "count")).toBe(1);
    const [second] = await openProcs(1, dir, MODES.readOnly, "R2");
    expect(await second!.col(c, "count")).toBe(1);
    await first!.close();
    const [writer] = await openProcs(1, dir, MODES.shared, "W2");
    await writer!.col(c, "add", { ids: ["b"], embeddings: [[3, 2, 1]] });
    expect(await writer!.col(c, "count")).toBe(2);
    expect(await second!.col(c, "count"), "the remaining reader sees the writer's acknowledged write").toBe(2);
    expect((await second!.col<{ ids: string[] }>(c, "get")).ids).toEqual(["a", "b"]);
  });
});

/** Every entry under `dir`: type, size, mtime, and a file's content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      const st = fs.statSync(path.join(dir, r));
      if (entry.isDirectory()) {
        out[`${r}/`] = `dir mtime ${st.mtimeMs}`;
        walk(r);
      } else {
        const hash = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, r))).digest("hex");
        out[r] = `${st.size} bytes, mtime ${st.mtimeMs}, sha256 ${hash}`;
      }
    }
  };
  walk("");
  // Not the top folder's own mtime: making and removing SQLite's -wal/-shm there (allowed, see the
  // README) moves it. Everything inside, including subfolders' mtimes, is compared.
  return out;
}
