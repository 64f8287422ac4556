import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";

const DIM = 1024;
const BATCHES = 20;
const BATCH = 1000;
/** Bytes of vectors written: 82 MB. Without the restarts the WAL holds every page written since the open. */
const WRITTEN = BATCHES * BATCH * DIM * 4;

function batch(from: number): number[][] {
  let s = from + 1;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: BATCH }, () => Array.from({ length: DIM }, r));
}

const walBytes = (dir: string) => fs.statSync(path.join(dir, "chroma.sqlite3-wal"), { throwIfNoEntry: false })?.size ?? 0;

describe("the WAL under a stream of writes", () => {
  it("is restarted as it goes, so it stays far smaller than what was written, and nothing is lost", async () => {
    const dir = tempDir();
    const client = new PersistentClient({ path: dir });
    try {
      const c = await client.createCollection({ name: "stream" });
      let largest = 0;
      // Writers queue behind one another, as under load: the write mutex is never idle for long.
      await Promise.all(
        Array.from({ length: BATCHES }, async (_, b) => {
          const embeddings = batch(b * BATCH);
          await c.add({ ids: embeddings.map((_, j) => `id${b * BATCH + j}`), embeddings });
          largest = Math.max(largest, walBytes(dir));
        }),
      );
      expect(largest).toBeLessThan(WRITTEN / 2);
      expect(await c.count()).toBe(BATCHES * BATCH);
      const got = await c.get({ ids: ["id19999"], include: ["embeddings"] });
      expect(Array.from(got.embeddings[0]!, Math.fround)).toEqual(batch(19 * BATCH)[999]!.map(Math.fround));
    } finally {
      await client.close();
    }
  }, 60_000);
});
