/**
 * Where a command's settings come from, first match wins: its flags, then `CHROMALITE_*` environment
 * variables, then a config file, then the defaults. The config file is JSON:
 *
 *   { "path": "./chroma-data", "host": "127.0.0.1", "port": 8000, "authToken": "…", "logLevel": "info" }
 *
 * read from `--config FILE` or `$CHROMALITE_CONFIG` (then it must exist), else from
 * `./chromalite.config.json` when that file exists. A relative `path` in it is relative to the file's
 * folder. Unknown keys and wrong types are refused, naming the file and the key.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "./context.js";
import { LOG_LEVELS, type LogLevel } from "./logging.js";

export const CONFIG_FILE = "chromalite.config.json";

/** The environment variable of each setting (flags have the same names in kebab case). */
export const ENV = {
  path: "CHROMALITE_PATH",
  host: "CHROMALITE_HOST",
  port: "CHROMALITE_PORT",
  authToken: "CHROMALITE_AUTH_TOKEN",
  logLevel: "CHROMALITE_LOG_LEVEL",
  logFormat: "CHROMALITE_LOG_FORMAT",
  config: "CHROMALITE_CONFIG",
} as const;

export interface FileConfig {
  path?: string;
  host?: string;
  port?: number;
  authToken?: string;
  logLevel?: LogLevel;
}

export interface LoadedConfig {
  /** The file read, resolved. */
  file: string;
  values: FileConfig;
}

const KEYS: Record<keyof FileConfig, (v: unknown) => boolean> = {
  path: (v) => typeof v === "string" && v.length > 0,
  host: (v) => typeof v === "string" && v.length > 0,
  port: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535,
  authToken: (v) => typeof v === "string" && v.length > 0,
  logLevel: (v) => typeof v === "string" && (LOG_LEVELS as readonly string[]).includes(v),
};
const EXPECTED: Record<keyof FileConfig, string> = {
  path: "a non-empty string",
  host: "a non-empty string",
  port: "an integer from 0 to 65535",
  authToken: "a non-empty string",
  logLevel: LOG_LEVELS.join(", "),
};

/**
 * Reads the config file: `explicit` (from --config or $CHROMALITE_CONFIG) must exist; without it,
 * `./chromalite.config.json` is read if present. Undefined when there is none.
 */
export function loadConfig(explicit: string | undefined, cwd = process.cwd()): LoadedConfig | undefined {
  const file = path.resolve(cwd, explicit ?? CONFIG_FILE);
  if (!fs.existsSync(file)) {
    if (explicit !== undefined) throw new UsageError(`config file ${file} does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`config file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`config file ${file} must hold a JSON object`);
  }
  const values: FileConfig = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in KEYS)) {
      throw new UsageError(`config file ${file}: unknown key '${key}' (known: ${Object.keys(KEYS).join(", ")})`);
    }
    const k = key as keyof FileConfig;
    if (!KEYS[k](value)) throw new UsageError(`config file ${file}: '${key}' must be ${EXPECTED[k]}, got ${JSON.stringify(value)}`);
    (values as Record<string, unknown>)[k] = k === "path" ? path.resolve(path.dirname(file), value as string) : value;
  }
  return { file, values };
}

/**
 * Fills the options of `command` that neither a flag nor an environment variable set (their value
 * is still the default) from the config file. Commander records each value's source; this one is
 * "config".
 */
export function applyConfig(command: Command, config: LoadedConfig | undefined): void {
  if (!config) return;
  for (const option of command.options) {
    const key = option.attributeName() as keyof FileConfig;
    if (!(key in KEYS) || key === "logLevel") continue;
    const value = config.values[key];
    if (value === undefined) continue;
    const source = command.getOptionValueSource(key);
    if (source === undefined || source === "default") command.setOptionValueWithSource(key, value, "config");
  }
}
