/**
 * The CLI's logs: pino, one JSON object per line (`level` as a number, `time` in ms, `msg`, and the
 * record's fields), or pino-pretty's readable lines when the log goes to a terminal. `run` logs to
 * stdout (like Chroma's server, and what log shippers read); the other commands log to stderr, since
 * their stdout carries their output.
 */
import { pino, type Logger as PinoLogger } from "pino";
import { prettyFactory } from "pino-pretty";
import { isTerminal } from "./progress.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  level: LogLevel;
  /** Unset: pretty on a terminal, JSON lines otherwise. */
  format?: LogFormat;
}

export type CliLogger = PinoLogger;

/** A pino logger writing to `stream`, synchronously (nothing is lost when the process exits next). */
export function createLogger(stream: NodeJS.WritableStream, settings: LogSettings): CliLogger {
  const format = settings.format ?? (isTerminal(stream) ? "pretty" : "json");
  let write: (line: string) => void;
  if (format === "pretty") {
    const pretty = prettyFactory({
      colorize: isTerminal(stream),
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      singleLine: true,
    });
    write = (line) => void stream.write(pretty(line));
  } else {
    write = (line) => void stream.write(line);
  }
  return pino({ level: settings.level, base: { pid: process.pid } }, { write });
}
