/** What every subcommand gets from the CLI: output streams, a logger and the global flags. */
import type { Logger } from "../logger.js";

export interface CliContext {
  /** `--verbose`: print stack traces and the engine's per-operation debug log. */
  readonly verbose: boolean;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** A logger writing to stderr (debug records only with `--verbose`). */
  readonly logger: Logger;
  /** Set by a command that finished but must exit non-zero (verify: 3 on damage). */
  exitCode: number;
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

export function stderrLogger(stderr: NodeJS.WritableStream, verbose: boolean): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    const { err, ...rest } = obj as { err?: unknown };
    const details = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
    const error = err === undefined ? "" : `: ${describeError(err, verbose)}`;
    stderr.write(`chromalite: ${level}: ${msg ?? ""}${error}${details}\n`);
  };
  return {
    error: write("error"),
    warn: write("warn"),
    info: write("info"),
    ...(verbose ? { debug: write("debug") } : {}),
  };
}
