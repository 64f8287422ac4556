import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PersistentClient, type Logger } from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

afterEach(() => vi.restoreAllMocks());

/**
 * Operations that give a logger something to say at every level: successes, a failure, and a
 * reopen over a damaged vector index (rebuilt from SQLite, which is logged at warn).
 */
async function eventfulSession(dir: string, logger?: Logger): Promise<void> {
  const first = new PersistentClient({ path: dir, ...(logger ? { logger } : {}) });
  const c = await first.createCollection({ name: "logged" });
  await c.add({ ids: Array.from({ length: 300 }, (_, i) => `r${i}`), embeddings: Array.from({ length: 300 }, (_, i) => [i, 1]) });
  await expect(c.add({ ids: ["b"], embeddings: [[1, 2, 3]] })).rejects.toThrow();
  await c.waitForIndexing();
  await first.close();
  fs.writeFileSync(path.join(dir, "index", c.id, "index.json"), "{");
  const second = new PersistentClient({ path: dir, ...(logger ? { logger } : {}) });
  const again = await second.getCollection({ name: "logged" });
  expect((await again.query({ queryEmbeddings: [[5, 1]], nResults: 1 })).ids).toEqual([["r5"]]);
  await second.close();
}

describe("observability", () => {
  it("hands every operation to the logger with its duration and outcome", async () => {
    const entries: Record<string, unknown>[] = [];
    const logger = { debug: (obj: object) => entries.push(obj as Record<string, unknown>) };
    const { client } = tempClient({ logger });
    const c = await client.createCollection({ name: "logged" });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    await expect(c.add({ ids: ["b"], embeddings: [[1, 2, 3]] })).rejects.toThrow();
    const ops = entries.map((e) => [e.op, e.ok]);
    expect(ops).toEqual([
      ["createCollection", true],
      ["add", true],
      ["add", false],
    ]);
    for (const e of entries) expect(typeof e.ms).toBe("number");
    expect(entries[2]).toMatchObject({ error: "InvalidArgumentError" });
  });

  it("prints nothing by default, though there is plenty a logger would be told", async () => {
    // With a logger, the session below reports at debug and at warn (the index rebuild) ...
    const told: string[] = [];
    await eventfulSession(tempDir(), {
      debug: () => told.push("debug"),
      info: () => told.push("info"),
      warn: () => told.push("warn"),
      error: () => told.push("error"),
    });
    expect(told).toContain("debug");
    expect(told).toContain("warn");
    // ... and without one, nothing reaches the console or the process's output.
    const printed = [
      ...(["log", "info", "warn", "error", "debug", "trace"] as const).map((m) => vi.spyOn(console, m)),
      vi.spyOn(process.stdout, "write"),
      vi.spyOn(process.stderr, "write"),
    ];
    await eventfulSession(tempDir());
    for (const spy of printed) expect(spy).not.toHaveBeenCalled();
  });
});
