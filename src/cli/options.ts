/** Option parsers and checks shared by the data subcommands (stats, verify, export, import, copy). */
import fs from "node:fs";
import path from "node:path";
import { InvalidArgumentError as InvalidOptionError } from "commander";
import { missingData } from "../engine/inspect.js";
import { UsageError } from "./context.js";

export function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidOptionError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

export type OnConflict = "fail" | "skip" | "upsert";
export const ON_CONFLICT: readonly OnConflict[] = ["fail", "skip", "upsert"];

/** A folder that must already hold chromalite data (a source is never created by accident). */
export function existingDataFolder(dir: string): string {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved)) throw new UsageError(`${resolved} does not exist`);
  const missing = missingData(resolved);
  if (missing) throw new UsageError(missing);
  return resolved;
}

/** Left-aligned text columns; numbers (right-aligned) are marked by `right`. */
export function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
