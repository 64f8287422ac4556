/**
 * `chromalite stats`: per collection its count, dimension, space and vector index state; the folder's
 * size on disk. Reads only: works on a folder a server has open (index numbers are then as last saved).
 */
import { Option, type Command } from "commander";
import { folderStats, type FolderStats } from "../../engine/inspect.js";
import { DEFAULT_PATH } from "../../model/defaults.js";
import { ENV } from "../config.js";
import type { CliContext } from "../context.js";
import { formatBytes } from "../../util/format.js";
import { existingDataFolder, table } from "../options.js";
import { formatCount } from "../progress.js";

export interface StatsOptions {
  path: string;
  json?: boolean;
}

export function renderStats(stats: FolderStats): string {
  const records = stats.collections.reduce((sum, c) => sum + c.count, 0);
  const lines = [
    `${stats.path}: ${stats.collections.length} collection${stats.collections.length === 1 ? "" : "s"}, ${formatCount(records)} records, ` +
      `${formatBytes(stats.bytes.total)} on disk (SQLite ${formatBytes(stats.bytes.sqlite)}, vector indexes ${formatBytes(stats.bytes.index)})`,
  ];
  if (stats.inUse) {
    const who = stats.inUseBy !== undefined ? `process ${stats.inUseBy}` : "other processes";
    lines.push(`in use by ${who}: counts are current, index numbers are as last saved`);
  }
  if (stats.collections.length > 0) {
    const rows = stats.collections.map((c) => [
      c.tenant ?? "?",
      c.database ?? "?",
      c.name,
      c.id,
      formatCount(c.count),
      c.dimension === null ? "-" : String(c.dimension),
      c.space ?? "?",
      formatCount(c.index.indexed),
      formatCount(c.index.pending),
      c.index.state === "unreadable" ? "unreadable" : formatBytes(c.index.bytes),
    ]);
    lines.push(
      "",
      table(
        ["TENANT", "DATABASE", "COLLECTION", "ID", "COUNT", "DIM", "SPACE", "INDEXED", "PENDING", "INDEX SIZE"],
        rows,
        new Set([4, 5, 7, 8, 9]),
      ),
    );
    if (stats.collections.some((c) => c.index.pending > 0)) {
      lines.push("", "PENDING: vectors in SQLite that the saved index lacks; they are indexed from SQLite when the folder is next opened.");
    }
  }
  return `${lines.join("\n")}\n`;
}

export async function stats(opts: StatsOptions, ctx: CliContext): Promise<void> {
  const result = await folderStats(existingDataFolder(opts.path));
  ctx.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderStats(result));
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("stats")
    .description("show the collections of a data folder: counts, dimensions, index state and size on disk")
    .addOption(new Option("--path <dir>", "data folder").default(DEFAULT_PATH).env(ENV.path))
    .option("--json", "print JSON (for scripts) instead of a table")
    .addHelpText(
      "after",
      `
Reads the folder without changing it; a folder in use by a server can be inspected too.

Examples:
  chromalite stats --path ./chroma-data
  chromalite stats --path ./chroma-data --json | jq '.collections[] | {name, count}'`,
    )
    .action((opts: StatsOptions) => stats(opts, context()));
}
