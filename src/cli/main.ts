#!/usr/bin/env node
/**
 * The `chromalite` command. Subcommands live in ./commands (one file each). Errors print one line
 * (`--verbose` adds the stack; with `--json`, one JSON object) and exit non-zero: 1 for a failure, 2
 * for a bad command line.
 */
import { CommanderError } from "commander";
import { describeError, errorJson, UsageError } from "./context.js";
import { buildProgram } from "./program.js";

async function main(argv: string[]): Promise<number> {
  const { program, current } = buildProgram({ stdout: process.stdout, stderr: process.stderr });
  try {
    await program.parseAsync(argv);
    return current()?.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help / version).
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        return 0;
      }
      return err.exitCode === 0 ? 0 : 2;
    }
    const verbose = current()?.verbose ?? argv.includes("--verbose");
    if (argv.includes("--json")) process.stderr.write(errorJson(err));
    else process.stderr.write(`chromalite: ${describeError(err, verbose)}\n`);
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
