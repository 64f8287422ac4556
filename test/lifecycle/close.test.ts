import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ClosedError, PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";

/** Paths of this process's open file descriptors that point into `dir` (Linux only). */
function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // the fd closed while we looked
    }
  }
  return out;
}

function vectors(n: number, dim: number, seed = 1): number[][] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: n }, () => Array.from({ length: dim }, r));
}

async function fill(client: PersistentClient, name: string, n: number, dim = 32) {
  const c = await client.createCollection({ name, configuration: { hnsw: { sync_threshold: 100 } } });
  const vs = vectors(n, dim);
  for (let i = 0; i < n; i += 1000) {
    const slice = vs.slice(i, i + 1000);
    await c.add({ ids: slice.map((_, j) => `id${i + j}`), embeddings: slice, documents: slice.map((_, j) => `doc ${i + j}`) });
  }
  return { c, vs };
}

describe.runIf(process.platform === "linux")("close means closed", () => {
  it("releases every file handle, leaves no -wal/-shm/lock file, keeps the data, and the folder can be deleted at once", async () => {
    const dir = fs.realpathSync(tempDir());
    const client = new PersistentClient({ path: dir });
    const { vs } = await fill(client, "big", 6000);
    expect(openFilesUnder(dir).length).toBeGreaterThan(0);
    await client.close();
    expect(openFilesUnder(dir)).toEqual([]);
    const left = fs.readdirSync(dir);
    expect(left.filter((f) => f.endsWith("-wal") || f.endsWith("-shm") || f.endsWith(".lock"))).toEqual([]);

    const reopened = new PersistentClient({ path: dir });
    const c = await reopened.getCollection({ name: "big" });
    expect(await c.count()).toBe(6000);
    const q = await c.query({ queryEmbeddings: [vs[4321]!], nResults: 1 });
    expect(q.ids).toEqual([["id4321"]]);
    await reopened.close();
    expect(openFilesUnder(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("is idempotent, works with await using, and later calls reject with ClosedError", async () => {
    const dir = tempDir();
    let handle: PersistentClient;
    {
      await using client = new PersistentClient({ path: dir });
      handle = client;
      await client.createCollection({ name: "scoped" });
    }
    await handle.close();
    await handle.close();
    await expect(handle.listCollections()).rejects.toBeInstanceOf(ClosedError);
    await expect(handle.heartbeat()).rejects.toMatchObject({ code: "CLOSED" });
    const again = new PersistentClient({ path: dir });
    expect((await again.listCollections()).map((c) => c.name)).toEqual(["scoped"]);
    await again.close();
  });

  it("waits for in-flight work before closing, and that work completes", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir });
    const c = await client.createCollection({ name: "inflight" });
    const vs = vectors(5000, 64);
    const adding = c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs });
    const closing = client.close();
    await adding;
    await closing;
    const again = new PersistentClient({ path: dir });
    expect(await (await again.getCollection({ name: "inflight" })).count()).toBe(5000);
    await again.close();
  });

  it("close({ cancel: true }) cancels in-flight writes, which then change nothing", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir, maxBatchSize: 50_000 });
    const c = await client.createCollection({ name: "cancelled" });
    const vs = vectors(40_000, 64);
    const adding = c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs });
    const outcome = adding.then(
      () => "completed",
      (err: Error) => err.name,
    );
    await new Promise((r) => setTimeout(r, 5));
    await client.close({ cancel: true });
    const result = await outcome;
    const again = new PersistentClient({ path: dir });
    const count = await (await again.getCollection({ name: "cancelled" })).count();
    await again.close();
    // A 40k-row add takes far longer than 5 ms, so the cancel lands mid-transaction: nothing is written.
    expect(result).toBe("ClosedError");
    expect(count).toBe(0);
  });

  it("deleting data is only ever explicit: close keeps every collection", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir });
    await fill(client, "keep-a", 10);
    await fill(client, "keep-b", 10);
    await client.close();
    const again = new PersistentClient({ path: dir });
    expect(await again.countCollections()).toBe(2);
    await again.deleteCollection({ name: "keep-a" });
    await again.close();
    const third = new PersistentClient({ path: dir });
    expect((await third.listCollections()).map((c) => c.name)).toEqual(["keep-b"]);
    await third.close();
  });

  it("a process that exits without close loses no acknowledged write", () => {
    const dir = tempDir();
    const script = `
      import { PersistentClient } from ${JSON.stringify(path.resolve("src/index.ts"))};
      const client = new PersistentClient({ path: ${JSON.stringify(dir)} });
      const c = await client.createCollection({ name: "noclose" });
      for (let i = 0; i < 20; i++) await c.add({ ids: ["a" + i], embeddings: [[i, 1, 2]] });
      process.exit(0);
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    return (async () => {
      const client = new PersistentClient({ path: dir });
      const c = await client.getCollection({ name: "noclose" });
      expect(await c.count()).toBe(20);
      expect((await c.get({ ids: ["a19"], include: ["embeddings"] })).embeddings).toEqual([[19, 1, 2]]);
      await client.close();
    })();
  });
});
