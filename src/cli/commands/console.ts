/**
 * `chromalite console`: serves a data folder with the console at `/` (the same server as `run`),
 * behind a token made for this session unless one is given, and prints the URL that signs in
 * (`#token=...`: a fragment, so it is never sent to the server or written to a log). `--open`
 * starts the system's browser on it where there is one.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_PATH } from "../../model/defaults.js";
import { DEFAULT_HOST, startServer } from "../../server/index.js";
import { VERSION } from "../../version.js";
import { ENV } from "../config.js";
import type { CliContext } from "../context.js";
import { createLogger } from "../logging.js";
import { integerOption } from "../options.js";
import { handleSignals } from "./run.js";

interface ConsoleOptions {
  path: string;
  host: string;
  port: number;
  authToken?: string;
  open?: boolean;
  json?: boolean;
}

/** The command that opens a URL on this system, if it has one on PATH. */
function browserCommand(): string | undefined {
  const names = process.platform === "darwin" ? ["open"] : process.platform === "win32" ? [] : ["xdg-open", "sensible-browser"];
  for (const name of names) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
      if (dir !== "" && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return undefined;
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("console")
    .description("serve a data folder with the console in the browser at / (prints the URL; --open starts the browser)")
    .addOption(new Option("--path <dir>", "data folder (created if missing)").default(DEFAULT_PATH).env(ENV.path))
    .addOption(new Option("--host <host>", "interface to listen on").default(DEFAULT_HOST).env(ENV.host))
    .addOption(new Option("--port <port>", "TCP port; 0 (default) picks a free one").argParser(integerOption("--port", 0, 65535)).default(0))
    .addOption(new Option("--auth-token <token>", "the token to require (default: a new random one, in the printed URL)").env(ENV.authToken))
    .option("--open", "open the URL in the system's browser")
    .option("--json", "logs as JSON lines even on a terminal")
    .addHelpText(
      "after",
      `
The console is the server of \`chromalite run\` with its page at /: the catalog, records, queries
with their plan (explain), a map of the embeddings and the index's health. Its URL carries the
token after '#', which the page keeps for the tab and removes from the address bar.

Examples:
  chromalite console --path ./chroma-data
  chromalite console --path ./chroma-data --open`,
    )
    .action(async (opts: ConsoleOptions) => {
      const ctx = context();
      const log = createLogger(ctx.stdout, opts.json ? { ...ctx.log, format: "json" } : ctx.log);
      const token = opts.authToken ?? randomBytes(18).toString("base64url");
      const server = await startServer({ path: path.resolve(opts.path), host: opts.host, port: opts.port, authToken: token, logger: log });
      handleSignals(server, log, ctx);
      const url = `${server.url}/#token=${encodeURIComponent(token)}`;
      log.info({ version: VERSION, path: server.path, url: server.url }, `chromalite ${VERSION} serving ${server.path} at ${server.url}`);
      ctx.stdout.write(`console: ${url}\n`);
      if (opts.open) {
        const command = browserCommand();
        if (command === undefined) {
          log.warn({}, "--open: no browser command found (xdg-open, open); open the URL above yourself");
        } else {
          const child = spawn(command, [url], { detached: true, stdio: "ignore" });
          child.on("error", (err) => log.warn({ err }, `--open: ${command} failed: ${err.message}`));
          child.unref();
        }
      }
    });
}
