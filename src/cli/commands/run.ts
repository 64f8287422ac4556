/**
 * `chromalite run`: serves a data folder over Chroma's HTTP API until SIGTERM/SIGINT, then finishes
 * the requests in flight, closes the folder cleanly and exits (within 2 s).
 */
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_PATH, DEFAULT_TIMEOUT_MS } from "../../model/defaults.js";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PORT,
  startServer,
  type RunningServer,
} from "../../server/index.js";
import type { Durability } from "../../types.js";
import { VERSION } from "../../version.js";
import { ENV } from "../config.js";
import { describeError, type CliContext } from "../context.js";
import { createLogger, type CliLogger } from "../logging.js";
import { integerOption } from "../options.js";

/** Requests still running this long after a signal are cancelled; the process exits before 2 s. */
const DRAIN_MS = 1500;
const HARD_EXIT_MS = 1900;
const MIB = 1024 * 1024;

interface RunOptions {
  path: string;
  host: string;
  port: number;
  authToken?: string;
  allowReset?: boolean;
  accessLog?: boolean;
  maxBodyMb: number;
  timeoutMs: number;
  maxConnections: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  durability: Durability;
  exclusive?: boolean;
  readOnly?: boolean;
  json?: boolean;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Only the CLI installs signal handlers and exits the process. */
export function handleSignals(server: RunningServer, log: CliLogger, ctx: CliContext): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, `${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, path: server.path }, `${signal}: finishing requests in flight and closing ${server.path}`);
    const hard = setTimeout(() => {
      log.error({ signal }, "shutdown took too long; exiting");
      process.exit(1);
    }, HARD_EXIT_MS);
    hard.unref();
    server.close({ timeoutMs: DRAIN_MS }).then(
      () => {
        clearTimeout(hard);
        log.info({ path: server.path }, "closed; exiting");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, `error while closing: ${describeError(err, ctx.verbose)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("run")
    .description("serve a data folder over Chroma's HTTP API v2 (the official chromadb clients connect to it)")
    .addOption(new Option("--path <dir>", "data folder (created if missing)").default(DEFAULT_PATH).env(ENV.path))
    .addOption(new Option("--host <host>", "interface to listen on").default(DEFAULT_HOST).env(ENV.host))
    .addOption(
      new Option("--port <port>", "TCP port; 0 picks a free one").argParser(integerOption("--port", 0, 65535)).default(DEFAULT_PORT).env(ENV.port),
    )
    .addOption(new Option("--auth-token <token>", "require this token (x-chroma-token or Authorization: Bearer)").env(ENV.authToken))
    .option("--allow-reset", "allow POST /api/v2/reset, which deletes everything")
    .option("--access-log", "log one line per request")
    .option("--max-body-mb <mib>", "largest request body in MiB (larger: 413)", integerOption("--max-body-mb", 1, 4096), DEFAULT_MAX_BODY_BYTES / MIB)
    .option("--timeout-ms <ms>", "timeout of each request's operation; 0 = none", integerOption("--timeout-ms", 0, 2 ** 31 - 1), DEFAULT_TIMEOUT_MS)
    .option("--max-connections <n>", "open connections at most (more: closed at once)", integerOption("--max-connections", 1, 1_000_000), DEFAULT_MAX_CONNECTIONS)
    .option("--headers-timeout-ms <ms>", "time a client has to send the request headers (then 408)", integerOption("--headers-timeout-ms", 1, 2 ** 31 - 1), DEFAULT_HEADERS_TIMEOUT_MS)
    .option("--body-timeout-ms <ms>", "time a client has to send the whole request (then 408)", integerOption("--body-timeout-ms", 1, 2 ** 31 - 1), DEFAULT_BODY_TIMEOUT_MS)
    .addOption(
      new Option("--durability <mode>", "normal: writes survive a process crash; full: also a power loss")
        .choices(["normal", "full"])
        .default("normal"),
    )
    .option("--exclusive", "hold the folder alone (by default other processes may open it too)")
    .option("--read-only", "serve reads only; write nothing in the folder")
    .option("--json", "logs as JSON lines even on a terminal")
    .addHelpText(
      "after",
      `
Connect with the official client:
  import { ChromaClient } from "chromadb";
  const client = new ChromaClient({ host: "127.0.0.1", port: 8000 });

Logs go to stdout: JSON lines (pino's fields: level, time, msg, ...), readable lines on a terminal.
Each setting comes from its flag, else its variable (CHROMALITE_PATH, CHROMALITE_HOST,
CHROMALITE_PORT, CHROMALITE_AUTH_TOKEN, CHROMALITE_LOG_LEVEL), else the config file
(--config FILE, $CHROMALITE_CONFIG or ./chromalite.config.json), else the default.

Examples:
  chromalite run --path ./chroma-data
  CHROMALITE_AUTH_TOKEN=secret chromalite run --host 0.0.0.0 --port 8000`,
    )
    .action(async (opts: RunOptions) => {
      const ctx = context();
      const log = createLogger(ctx.stdout, opts.json ? { ...ctx.log, format: "json" } : ctx.log);
      const dir = path.resolve(opts.path);
      if (ctx.config) log.info({ config: ctx.config.file }, `settings from ${ctx.config.file}`);
      if (!isLoopback(opts.host) && opts.authToken === undefined) {
        log.warn(
          { host: opts.host },
          `listening on ${opts.host} without --auth-token: anyone who can reach this port can read and change the data`,
        );
      }
      const server = await startServer({
        path: dir,
        host: opts.host,
        port: opts.port,
        authToken: opts.authToken,
        allowReset: opts.allowReset ?? false,
        accessLog: opts.accessLog
          ? (_line, entry) =>
              log.info(
                {
                  req: { method: entry.method, url: entry.url, remoteAddress: entry.remoteAddress },
                  res: { statusCode: entry.status },
                  bytes: entry.bytes,
                  responseTime: entry.ms,
                },
                `${entry.method} ${entry.url} ${entry.status ?? "-"}`,
              )
          : false,
        maxBodyBytes: opts.maxBodyMb * MIB,
        requestTimeoutMs: opts.timeoutMs,
        maxConnections: opts.maxConnections,
        headersTimeoutMs: opts.headersTimeoutMs,
        bodyTimeoutMs: opts.bodyTimeoutMs,
        durability: opts.durability,
        exclusive: opts.exclusive ?? false,
        readOnly: opts.readOnly ?? false,
        logger: log,
      });
      handleSignals(server, log, ctx);
      log.info({ version: VERSION, path: server.path, url: server.url }, `chromalite ${VERSION} serving ${server.path} at ${server.url}`);
    });
}
