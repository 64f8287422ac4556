#!/usr/bin/env node
// The `chromalite` command: runs the built CLI (dist/cli/main.js). This launcher is committed, so the
// bin link that npm (and `npx chromalite` inside a clone) makes always has a target, even before
// `npm run build`; without a build it says so instead of "command not found".
import fs from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!fs.existsSync(main)) {
  process.stderr.write(
    "chromalite: the CLI is not built (dist/cli/main.js is missing): run `npm run build` (`npm ci` builds it too)\n",
  );
  process.exit(1);
}
await import(main.href);
