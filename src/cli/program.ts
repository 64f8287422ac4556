/**
 * The `chromalite` program: the global options (`--verbose`, `--log-level`, `--log-format`,
 * `--config`), the config file applied to each command's options before it runs, and the context
 * the commands get. main.ts runs it on process.argv; tests run it in process.
 */
import { Command, Option } from "commander";
import { VERSION } from "../version.js";
import { commands } from "./commands/index.js";
import { applyConfig, ENV, loadConfig, type LoadedConfig } from "./config.js";
import { cliContext, type CliContext } from "./context.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type LogSettings } from "./logging.js";

interface GlobalOptions {
  verbose?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  config?: string;
}

export interface Program {
  program: Command;
  /** The context of the command that runs (made once, after the config file is read). */
  context: () => CliContext;
  /** The context if a command got that far (main uses it for the exit code and --verbose). */
  current: () => CliContext | undefined;
}

export function buildProgram(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Program {
  const program = new Command("chromalite")
    .description("The embedded, persistent, Chroma-compatible vector database: command-line tools")
    .version(VERSION, "-V, --version", "print the version")
    .option("--verbose", "print stack traces and a debug log of every operation")
    .addOption(new Option("--log-level <level>", "least severe log level printed (default: info for run, warn for the others; debug with --verbose)").choices(LOG_LEVELS).env(ENV.logLevel))
    .addOption(new Option("--log-format <format>", "json lines, or pretty (default: pretty on a terminal, else json)").choices(LOG_FORMATS).env(ENV.logFormat))
    .addOption(new Option("--config <file>", `config file (JSON; default: ./chromalite.config.json if it exists)`).env(ENV.config))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  let config: LoadedConfig | undefined;
  let ctx: CliContext | undefined;
  // The server logs its life at info; the other commands print their own summary, and a failure is
  // one line on stderr: their logs say only what goes wrong unless asked for more.
  let defaultLevel: LogLevel = "warn";

  program.hook("preAction", (_program, action) => {
    config = loadConfig(program.opts<GlobalOptions>().config);
    applyConfig(action, config);
    if (action.name() === "run") defaultLevel = "info";
  });

  const context = (): CliContext => {
    if (!ctx) {
      const opts = program.opts<GlobalOptions>();
      const verbose = opts.verbose === true;
      const log: LogSettings = { level: opts.logLevel ?? config?.values.logLevel ?? (verbose ? "debug" : defaultLevel) };
      if (opts.logFormat) log.format = opts.logFormat;
      ctx = cliContext({ stdout: io.stdout, stderr: io.stderr, verbose, log, ...(config ? { config } : {}) });
    }
    return ctx;
  };
  for (const register of commands) register(program, context);
  program.commands.forEach((c) => c.exitOverride());
  return { program, context, current: () => ctx };
}
