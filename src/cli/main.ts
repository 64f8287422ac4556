#!/usr/bin/env node
/**
 * The `chromalite` command. Subcommands live in ./commands (one file each). Errors print one line
 * (`--verbose` adds the stack) and exit non-zero: 1 for a failure, 2 for a bad command line.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { commands } from "./commands/index.js";
import { describeError, stderrLogger, UsageError, type CliContext } from "./context.js";

async function main(argv: string[]): Promise<number> {
  const program = new Command("chromalite")
    .description("The embedded, persistent, Chroma-compatible vector database: command-line tools")
    .version(VERSION, "-V, --version", "print the version")
    .option("--verbose", "print stack traces and a debug log of every operation")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  let ctx: CliContext | undefined;
  const context = (): CliContext => {
    if (!ctx) {
      const verbose = program.opts<{ verbose?: boolean }>().verbose === true;
      ctx = { verbose, stdout: process.stdout, stderr: process.stderr, logger: stderrLogger(process.stderr, verbose), exitCode: 0 };
    }
    return ctx;
  };
  for (const register of commands) register(program, context);
  program.commands.forEach((c) => c.exitOverride());

  try {
    await program.parseAsync(argv);
    return ctx?.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help / version).
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        return 0;
      }
      return err.exitCode === 0 ? 0 : 2;
    }
    const verbose = ctx?.verbose ?? argv.includes("--verbose");
    process.stderr.write(`chromalite: ${describeError(err, verbose)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// A reader that went away (`chromalite --help | head`) is no crash; export reports it in one line.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});

main(process.argv).then(
  (code) => {
    // A running server keeps the process alive; otherwise exit with the command's code.
    if (code !== 0) process.exit(code);
    process.exitCode = 0;
  },
  (err: unknown) => {
    process.stderr.write(`chromalite: ${describeError(err, true)}\n`);
    process.exit(1);
  },
);
