/**
 * The console's static files: the page (page.ts) and the browser code that `npm run build`
 * compiles from src/console/client/ into dist/console/client/. Served from the package itself, so
 * nothing is fetched from a CDN. Run from source (tests, tsx), the compiled files are found in the
 * repository's dist/ instead.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
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

/**
 * Files of dependencies the page loads, served from their installed package: umap-js's and
 * Chart.js's browser builds (name served → package, file inside it).
 */
const VENDOR: Record<string, [string, string]> = {
  "umap-js.min.js": ["umap-js", "lib/umap-js.min.js"],
  "chart.umd.min.js": ["chart.js", "dist/chart.umd.min.js"],
};
const require = createRequire(import.meta.url);

/** A file inside an installed package: its folder is found from its entry point (its `exports` may hide the file). */
function packageFile(pkg: string, file: string): string {
  let at = path.dirname(require.resolve(pkg));
  for (;;) {
    const manifest = path.join(at, "package.json");
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === pkg) return path.join(at, file);
    const up = path.dirname(at);
    if (up === at) throw new Error(`no package.json of ${pkg}`);
    at = up;
  }
}

/** One compiled module by file name (`main.js`), or a vendored file; undefined if none. Names are checked: no paths. */
export function readAsset(name: string): string | undefined {
  const vendor = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined;
  if (vendor === undefined && !/^[a-z][a-z0-9-]*\.js$/.test(name)) return undefined;
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const root = assetDir();
  let text: string;
  try {
    if (vendor !== undefined) text = fs.readFileSync(packageFile(...vendor), "utf8");
    else if (root === null) return undefined;
    else text = fs.readFileSync(`${root}${name}`, "utf8");
  } catch {
    return undefined;
  }
  cache.set(name, text);
  return text;
}
