/**
 * The console's static files: the page (console-page.ts) and the browser code that `npm run build`
 * compiles from src/console/client/ into dist/console/client/. Served from the package itself, so
 * nothing is fetched from a CDN. Run from source (tests, tsx), the compiled files are found in the
 * repository's dist/ instead.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const CANDIDATES = [new URL("./client/", import.meta.url), new URL("../../dist/console/client/", import.meta.url)];

let dir: string | null | undefined;

/** The folder holding the compiled browser code, or null when it was not built. */
export function assetDir(): string | null {
  if (dir === undefined) {
    dir = null;
    for (const url of CANDIDATES) {
      const candidate = fileURLToPath(url);
      if (fs.existsSync(`${candidate}main.js`)) {
        dir = candidate;
        break;
      }
    }
  }
  return dir;
}

const cache = new Map<string, string>();

/** One compiled module by file name (`main.js`), or undefined. Names are checked: no paths. */
export function readAsset(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*\.js$/.test(name)) return undefined;
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const root = assetDir();
  if (root === null) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`${root}${name}`, "utf8");
  } catch {
    return undefined;
  }
  cache.set(name, text);
  return text;
}
