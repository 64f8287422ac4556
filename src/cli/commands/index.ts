/**
 * The subcommands. Each lives in its own file and exports a `register(program, context)` function;
 * add new ones to this list.
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { register as registerConsole } from "./console.js";
import { register as registerCopy } from "./copy.js";
import { register as registerExport } from "./export.js";
import { register as registerImport } from "./import.js";
import { register as registerRun } from "./run.js";
import { register as registerStats } from "./stats.js";
import { register as registerVerify } from "./verify.js";

export type RegisterCommand = (program: Command, context: () => CliContext) => void;

export const commands: RegisterCommand[] = [registerRun, registerStats, registerVerify, registerExport, registerImport, registerCopy, registerConsole];
