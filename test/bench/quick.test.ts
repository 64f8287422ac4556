/**
 * Smoke test of the benchmark harness (bench/run.ts): a tiny run of the quick mode through the
 * systems that need no peer install, checking that every system produced sane figures and that the
 * report and chart were written. It measures nothing; `npm run bench` does.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchReport } from "../../bench/lib/report.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SYSTEMS = ["chromalite", "chromalite-server", "hnswlib", "exact"];

describe("benchmark harness (bench/run.ts --quick)", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-bench-test-"));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it("runs every system and writes the report, the chart and the raw results", async () => {
    const args = [
      "--import",
      "tsx",
      "bench/run.ts",
      "--quick",
      "--n", "1500",
      "--queries", "20",
      "--datasets", "synthetic",
      "--systems", SYSTEMS.join(","),
      "--no-sweep",
      "--out", path.join(out, "bench.md"),
      "--json", path.join(out, "bench.json"),
    ];
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, args, { cwd: ROOT, timeout: 110_000, maxBuffer: 16 << 20 }, (err, _stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
      ),
    );
    const report = JSON.parse(fs.readFileSync(path.join(out, "bench.json"), "utf8")) as BenchReport;
    const markdown = fs.readFileSync(path.join(out, "bench.md"), "utf8");
    expect(fs.readFileSync(path.join(out, "bench.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(report.machine.cpus).toBeGreaterThan(0);
    for (const id of SYSTEMS) {
      const run = report.runs.find((r) => r.system === id);
      expect(run?.error, id).toBeUndefined();
      const b = run!.build!;
      expect(b.query.recall, id).toBeGreaterThanOrEqual(0.9);
      expect(b.f10.recall, id).toBeGreaterThanOrEqual(0.9);
      expect(b.f1.recall, id).toBeGreaterThanOrEqual(0.9);
      expect(b.query.p50, id).toBeGreaterThan(0);
      expect(b.ingest.ackSeconds, id).toBeGreaterThan(0);
      expect(b.diskBytes, id).toBeGreaterThan(0);
      expect(run!.open!.readyMs, id).toBeGreaterThan(0);
      expect(run!.open!.recall, id).toBeGreaterThanOrEqual(0.9);
      expect(markdown).toContain(report.systems.find((s) => s.id === id)!.label);
    }
  }, 120_000);
});
