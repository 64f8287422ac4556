/**
 * `chromalite verify`: SQLite's integrity check and, per collection, the vector index against SQLite
 * (see engine/verify.ts). Prints one line per collection and one per problem; exits 3 on damage.
 * Changes nothing, unless `--repair`, which rebuilds damaged vector indexes from SQLite.
 */
import { Option, type Command } from "commander";
import {
  DEFAULT_SAMPLE,
  collectionLabel,
  repairIndexes,
  verifyFolder,
  type VerifyReport,
} from "../../engine/verify.js";
import { DEFAULT_PATH } from "../../model/defaults.js";
import { ENV } from "../config.js";
import type { CliContext } from "../context.js";
import { existingDataFolder, integerOption } from "../options.js";
import { formatCount } from "../progress.js";

/** Exit code when the folder is damaged (1 is a failure to verify, 2 a bad command line). */
export const EXIT_DAMAGED = 3;

export interface VerifyOptions {
  path: string;
  sample: number;
  repair?: boolean;
  json?: boolean;
}

export function renderReport(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.inUse) lines.push("note     in use by other processes: SQLite checked as of one moment, vector indexes as last saved");
  if (report.sqlite.ok) lines.push(`ok       sqlite: integrity check passed (schema ${report.sqlite.schemaVersion ?? "?"})`);
  for (const p of report.sqlite.problems) lines.push(`DAMAGED  sqlite: ${p}`);
  for (const c of report.collections) {
    const where = collectionLabel(c);
    if (c.problems.length === 0) {
      const sample = c.sampled > 0 ? `, ${c.found}/${c.sampled} sampled records found by their own vector` : "";
      lines.push(
        `ok       ${where}: ${formatCount(c.count)} records, ${formatCount(c.indexed)} in the saved index + ${formatCount(c.pending)} to catch up${sample}`,
      );
    }
    for (const p of c.problems) lines.push(`DAMAGED  ${where} (${c.id}): ${p}`);
    for (const n of c.notes) lines.push(`note     ${where}: ${n}`);
  }
  for (const o of report.orphanIndexes) lines.push(`note     index/${o}: index folder of a deleted collection (removed when the folder is next opened)`);
  if (report.collections.length === 0 && report.sqlite.ok) lines.push("ok       no collections");
  return `${lines.join("\n")}\n`;
}

export async function verify(opts: VerifyOptions, ctx: CliContext): Promise<void> {
  const dir = existingDataFolder(opts.path);
  // Reads beside processes that use the folder (a consistent SQLite snapshot); repairs only alone.
  let report = await verifyFolder(dir, { sample: opts.sample, inUse: true });
  const out = (text: string) => void ctx.stdout.write(text);
  if (!opts.json) out(`verifying ${report.path}\n${renderReport(report)}`);
  let repaired: string[] = [];
  if (!report.ok && opts.repair) {
    const fixable = report.collections.filter((c) => c.indexRepairable);
    if (!report.sqlite.ok) {
      ctx.stderr.write("chromalite: SQLite itself is damaged: not repairing (restore a backup, or export what is still readable)\n");
    } else if (fixable.length > 0) {
      if (!opts.json) out(`rebuilding the vector index of ${fixable.map(collectionLabel).join(", ")} from SQLite\n`);
      await repairIndexes(dir, fixable.map((c) => c.id), ctx.logger);
      repaired = fixable.map((c) => c.id);
      report = await verifyFolder(dir, { sample: opts.sample, inUse: true });
      if (!opts.json) out(`after repair:\n${renderReport(report)}`);
    }
  }
  if (opts.json) out(`${JSON.stringify({ ...report, ...(opts.repair ? { repaired } : {}) }, null, 2)}\n`);
  if (!report.ok) {
    const n = report.problems.length;
    const hint = report.collections.some((c) => c.indexRepairable) && !opts.repair && report.sqlite.ok
      ? ": run again with --repair to rebuild the damaged vector indexes from SQLite"
      : "";
    ctx.stderr.write(`chromalite: ${report.path} is damaged (${n} problem${n === 1 ? "" : "s"})${hint}\n`);
    ctx.exitCode = EXIT_DAMAGED;
  }
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("verify")
    .description("check a data folder: SQLite integrity, and every vector index against SQLite (exit 3 on damage)")
    .addOption(new Option("--path <dir>", "data folder (must not be open in another process)").default(DEFAULT_PATH).env(ENV.path))
    .option("--sample <n>", "records per collection checked by a query with their own vector", integerOption("--sample", 1, 1_000_000), DEFAULT_SAMPLE)
    .option("--repair", "rebuild damaged vector indexes from SQLite (changes the folder; SQLite damage cannot be repaired)")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
Without --repair the folder is opened read-only and left as it was. Exit codes: 0 healthy,
3 damaged (one line per problem), 1 could not verify (e.g. the folder is in use), 2 bad usage.

Examples:
  chromalite verify --path ./chroma-data
  chromalite verify --path ./chroma-data --repair`,
    )
    .action((opts: VerifyOptions) => verify(opts, context()));
}
