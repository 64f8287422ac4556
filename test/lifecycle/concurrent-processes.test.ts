/**
 * Several processes on one folder at once, each a random mix of writes, reads and collection churn,
 * all concurrent (not taking turns): no call fails but by the churn's own NotFoundError, no process
 * ever misses a record by its own vector, and afterwards every process and a fresh one agree, every
 * record is found by its vector, and SQLite is intact.
 */
import { fork } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";

const CHILD = path.join(import.meta.dirname, "concurrent-child.ts");
const OPS = Number(process.env.MP_OPS ?? 1500);

interface Report {
  who: string;
  errors: Record<string, number>;
}

function runChild(dir: string, who: string): Promise<Report> {
  const child = fork(CHILD, [dir, who, String(OPS)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "pipe", "ipc"] });
  onTestFinished(() => void child.kill("SIGKILL"));
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  let report: Report | undefined;
  child.on("message", (m) => (report = m as Report));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => (report && code === 0 ? resolve(report) : reject(new Error(`child ${who} exited ${code}: ${stderr}`)))),
  );
}

describe("processes sharing a folder, all at once", () => {
  it(`3 processes x ${OPS} random calls: no unexpected error, no missed record, one agreed state`, async () => {
    const dir = tempDir();
    const reports = await Promise.all(["a", "b", "c"].map((who) => runChild(dir, who)));
    for (const r of reports) {
      const unexpected = Object.entries(r.errors).filter(([k]) => k !== "churn-not-found");
      expect(unexpected, `process ${r.who}`).toEqual([]);
    }
    const client = new PersistentClient({ path: dir });
    onTestFinished(() => client.close());
    const main = await client.getCollection({ name: "shared-main" });
    const all = await main.get({ include: ["embeddings", "metadatas"] });
    expect(new Set(all.ids).size).toBe(all.ids.length);
    expect(all.ids.length).toBeGreaterThan(0);
    // Every record is held with its current vector: found at distance 0 by its own vector, at once or,
    // as HNSW is approximate (after many rewrites hnswlib can leave a record with few links in), by a
    // query as wide as the collection; the latter must stay rare.
    const graphMisses: string[] = [];
    for (let i = 0; i < all.ids.length; i++) {
      const own = Array.from(all.embeddings[i]!);
      const q = await main.query({ queryEmbeddings: [own], nResults: 1, include: ["distances"] });
      if (q.distances[0]![0]! < 1e-4) continue;
      const wide = await main.query({ queryEmbeddings: [own], nResults: all.ids.length, include: ["distances"] });
      const at = wide.ids[0]!.indexOf(all.ids[i]!);
      expect(at, `record ${all.ids[i]} is not among all the answers to its own vector`).toBeGreaterThanOrEqual(0);
      expect(wide.distances[0]![at]!, `record ${all.ids[i]} is held with another vector`).toBeLessThan(1e-4);
      graphMisses.push(all.ids[i]!);
    }
    if (graphMisses.length > 0) console.warn(`found only by a full-width query: ${graphMisses.join(", ")}`);
    expect(graphMisses.length).toBeLessThanOrEqual(Math.ceil(all.ids.length * 0.01));
    await client.close();
    const db = new Database(path.join(dir, "chroma.sqlite3"), { readonly: true });
    onTestFinished(() => void db.close());
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    // What the engine answered is what SQLite holds.
    const stored = db.prepare("SELECT count(*) FROM records r JOIN collections c ON c.cid = r.cid WHERE c.name = 'shared-main'").pluck().get();
    expect(stored).toBe(all.ids.length);
  }, 120_000);
});
