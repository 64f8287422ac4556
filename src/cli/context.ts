/** What every subcommand gets from the CLI: output streams, loggers, the config file and the global flags. */
import type { LoadedConfig } from "./config.js";
import { createLogger, type CliLogger, type LogSettings } from "./logging.js";

export interface CliContext {
  /** `--verbose`: print stack traces and the engine's per-operation debug log. */
  readonly verbose: boolean;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** A logger writing to stderr (the commands whose stdout is their output). */
  readonly logger: CliLogger;
  /** Level and format of the logs (`--log-level`, `--log-format`, their variables, the config file). */
  readonly log: LogSettings;
  /** The config file read, if any. */
  readonly config?: LoadedConfig | undefined;
  /** Set by a command that finished but must exit non-zero (verify: 3 on damage). */
  exitCode: number;
}

/** A context on the given streams (tests: PassThrough streams; logs as JSON lines unless told). */
export function cliContext(opts: {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  verbose?: boolean;
  log?: LogSettings;
  config?: LoadedConfig;
}): CliContext {
  const verbose = opts.verbose ?? false;
  const log = opts.log ?? { level: verbose ? "debug" : "warn" };
  return { verbose, stdout: opts.stdout, stderr: opts.stderr, logger: createLogger(opts.stderr, log), log, config: opts.config, exitCode: 0 };
}

/** Thrown for a bad command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}
Object.defineProperty(UsageError.prototype, "name", { value: "UsageError", writable: true, configurable: true });

/** An error's message, and with `verbose` its stack and causes. */
export function describeError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return String(err);
  if (!verbose) return err.message;
  let text = err.stack ?? `${err.name}: ${err.message}`;
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    text += `\ncaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return text;
}

/** A failure as one JSON line (`--json`): `{"error":{"name","code","message"}}`. */
export function errorJson(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return `${JSON.stringify({ error: { name: e.name, ...(typeof code === "string" ? { code } : {}), message: e.message } })}\n`;
}

/** Writes a command's result for scripts (`--json`): one JSON object on one line. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}
