#!/usr/bin/env node
// Runs the real Chroma server from the native binding that setup.sh installed, in this process.
// test/helpers/oracle.ts starts it for the tests. By hand (G = the private glibc from setup.sh):
//
//   D=$(scripts/oracle/setup.sh); G=$D/glibc/usr/lib/x86_64-linux-gnu
//   $G/ld-linux-x86-64.so.2 --library-path "$G:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu" \
//     "$(command -v node)" scripts/oracle/run-chroma.mjs --path /tmp/chroma-data --port 8000 --allow-reset
//
// Options: --path DATA --port N [--host 127.0.0.1] [--allow-reset [--config-file F]] [--exit-with-parent];
// or `run CONFIG.yaml` (any first argument that is not an option goes to chroma's CLI as is).
//
// Why not chromadb's own dist/cli.mjs: it checks npm for updates on every start, and it does not
// handle SIGTERM, so the process spins at 100% CPU instead of exiting. Here SIGTERM and SIGINT exit.
// The oracle folder comes from $CHROMALITE_ORACLE_DIR, default ~/.cache/chromalite-oracle.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

// First thing, so that no signal finds the process without them.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));

const oracleDir = process.env.CHROMALITE_ORACLE_DIR || path.join(os.homedir(), ".cache", "chromalite-oracle");
let binding;
try {
  binding = createRequire(path.join(oracleDir, "package.json"))("chromadb-js-bindings-linux-x64-gnu");
} catch (err) {
  console.error(`run-chroma: cannot load the Chroma binding from ${oracleDir}; run scripts/oracle/setup.sh first.`);
  console.error(String(err));
  process.exit(2);
}

let cliArgs = process.argv.slice(2);
if (cliArgs.length === 0 || cliArgs[0].startsWith("--")) {
  const { values } = parseArgs({
    args: cliArgs,
    options: {
      path: { type: "string" },
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      "allow-reset": { type: "boolean", default: false },
      "config-file": { type: "string" },
      "exit-with-parent": { type: "boolean", default: false },
    },
  });
  if (!values.path || !values.port) {
    console.error("usage: run-chroma.mjs --path DATA --port N [--host H] [--allow-reset] [--exit-with-parent]");
    process.exit(2);
  }
  const data = path.resolve(values.path);
  fs.mkdirSync(data, { recursive: true });
  if (values["allow-reset"]) {
    // allow_reset has no command-line flag: it needs a config file. By default it goes next to the
    // data folder (not inside it, which is Chroma's).
    const config = path.resolve(values["config-file"] ?? `${data}.chroma.yaml`);
    const yaml = [
      `persist_path: ${JSON.stringify(data)}`,
      `listen_address: ${JSON.stringify(values.host)}`,
      `port: ${Number(values.port)}`,
      "allow_reset: true",
      "",
    ].join("\n");
    fs.writeFileSync(config, yaml);
    cliArgs = ["run", config];
  } else {
    cliArgs = ["run", "--path", data, "--host", values.host, "--port", String(Number(values.port))];
  }
  if (values["exit-with-parent"]) {
    // If whoever started us dies without stopping us (a crashed test worker), we are reparented:
    // then stop rather than live on as an orphan holding a port. binding.cli() blocks this thread for
    // good, so the watch runs in a worker thread and stops us with our own SIGTERM handler below.
    const watch = `
      const parent = ${process.ppid};
      setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGTERM"); }, 500);
    `;
    new Worker(watch, { eval: true }).unref();
  }
}

binding.cli(["chroma", ...cliArgs]);
