/**
 * `npm run bench [-- options]`: every benchmark, one after another, into the same report: the ANN
 * and ingest tables (bench/run.ts), a user's day (bench/day.ts: queries from the first add, not after
 * quiet) and the server under load (bench/server-load.ts). `--quick` and `--out` go to all three;
 * other options go to bench/run.ts only (run the others on their own for theirs).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const argv = process.argv.slice(2);
const shared: string[] = [];
if (argv.includes("--quick")) shared.push("--quick");
const outAt = argv.indexOf("--out");
if (outAt >= 0 && argv[outAt + 1]) shared.push("--out", argv[outAt + 1]!);
const onlyRender = argv.includes("--render") || argv.includes("--help");

const steps: [string, string[]][] = [["bench/run.ts", argv]];
if (!onlyRender) steps.push(["bench/day.ts", shared], ["bench/server-load.ts", shared]);
for (const [script, args] of steps) {
  console.log(`\n=== ${script} ${args.join(" ")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) {
    console.error(`${script} failed (exit ${String(r.status ?? r.signal)})`);
    process.exit(r.status ?? 1);
  }
}
