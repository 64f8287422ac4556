/**
 * `chromalite run`: serves a data folder over Chroma's HTTP API until SIGTERM/SIGINT, then finishes
 * the requests in flight, closes the folder cleanly and exits (within 2 s).
 */
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_PATH, DEFAULT_TIMEOUT_MS } from "../../model/defaults.js";
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startServer, type RunningServer } from "../../server/index.js";
import type { Durability } from "../../types.js";
import { VERSION } from "../../version.js";
import { describeError, type CliContext } from "../context.js";
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
  durability: Durability;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Only the CLI installs signal handlers and exits the process. */
function handleSignals(server: RunningServer, ctx: CliContext): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      ctx.stderr.write(`chromalite: ${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    ctx.stderr.write(`chromalite: ${signal}: finishing requests in flight and closing ${server.path}\n`);
    const hard = setTimeout(() => {
      ctx.stderr.write("chromalite: shutdown took too long; exiting\n");
      process.exit(1);
    }, HARD_EXIT_MS);
    hard.unref();
    server.close({ timeoutMs: DRAIN_MS }).then(
      () => {
        clearTimeout(hard);
        process.exit(0);
      },
      (err: unknown) => {
        ctx.stderr.write(`chromalite: error while closing: ${describeError(err, ctx.verbose)}\n`);
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
    .option("--path <dir>", "data folder (created if missing)", DEFAULT_PATH)
    .option("--host <host>", "interface to listen on", DEFAULT_HOST)
    .option("--port <port>", "TCP port; 0 picks a free one", integerOption("--port", 0, 65535), DEFAULT_PORT)
    .addOption(
      new Option("--auth-token <token>", "require this token (x-chroma-token or Authorization: Bearer)").env(
        "CHROMALITE_AUTH_TOKEN",
      ),
    )
    .option("--allow-reset", "allow POST /api/v2/reset, which deletes everything")
    .option("--access-log", "print one line per request to stdout")
    .option("--max-body-mb <mib>", "largest request body in MiB (larger: 413)", integerOption("--max-body-mb", 1, 4096), DEFAULT_MAX_BODY_BYTES / MIB)
    .option("--timeout-ms <ms>", "timeout of each request's operation; 0 = none", integerOption("--timeout-ms", 0, 2 ** 31 - 1), DEFAULT_TIMEOUT_MS)
    .addOption(
      new Option("--durability <mode>", "normal: writes survive a process crash; full: also a power loss")
        .choices(["normal", "full"])
        .default("normal"),
    )
    .addHelpText(
      "after",
      `
Connect with the official client:
  import { ChromaClient } from "chromadb";
  const client = new ChromaClient({ host: "127.0.0.1", port: 8000 });

Examples:
  chromalite run --path ./chroma-data
  CHROMALITE_AUTH_TOKEN=secret chromalite run --host 0.0.0.0 --port 8000`,
    )
    .action(async (opts: RunOptions) => {
      const ctx = context();
      const dir = path.resolve(opts.path);
      if (!isLoopback(opts.host) && opts.authToken === undefined) {
        ctx.stderr.write(
          `chromalite: warning: listening on ${opts.host} without --auth-token: anyone who can reach this port can read and change the data\n`,
        );
      }
      const server = await startServer({
        path: dir,
        host: opts.host,
        port: opts.port,
        authToken: opts.authToken,
        allowReset: opts.allowReset ?? false,
        accessLog: opts.accessLog ? (line) => void ctx.stdout.write(`${line}\n`) : false,
        maxBodyBytes: opts.maxBodyMb * MIB,
        requestTimeoutMs: opts.timeoutMs,
        durability: opts.durability,
        logger: ctx.logger,
      });
      handleSignals(server, ctx);
      ctx.stdout.write(`chromalite ${VERSION} serving ${server.path} at ${server.url}\n`);
    });
}
