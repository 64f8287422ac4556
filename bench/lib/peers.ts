/**
 * Peers that are not chromalite's dependencies are installed by the benchmark into a cache folder
 * (default bench/.cache/peers, git-ignored; CHROMALITE_BENCH_PEERS overrides), never into the
 * project's node_modules or package.json.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface PeerPackage {
  name: string;
  version: string;
}

export const LANCEDB: PeerPackage = { name: "@lancedb/lancedb", version: "0.31.0" };

export function defaultPeersDir(): string {
  return process.env.CHROMALITE_BENCH_PEERS || path.resolve(import.meta.dirname, "../.cache/peers");
}

function installedVersion(dir: string, name: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `pkg` at exactly its version is in `dir`; installs it with npm when `install` is set.
 * Returns null when it is there, else why not.
 */
export async function ensurePeer(dir: string, pkg: PeerPackage, install: boolean): Promise<string | null> {
  if (installedVersion(dir, pkg.name) === pkg.version) return null;
  if (!install) return `${pkg.name}@${pkg.version} is not installed in ${dir} (run the full benchmark once, or --install-peers)`;
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, "package.json");
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{ "name": "chromalite-bench-peers", "private": true }\n');
  const spec = `${pkg.name}@${pkg.version}`;
  const error = await new Promise<string | null>((resolve) =>
    execFile(
      "npm",
      ["install", "--save-exact", "--no-audit", "--no-fund", "--loglevel=error", spec],
      { cwd: dir, timeout: 10 * 60_000, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => resolve(err ? `npm install ${spec} failed: ${String(stderr).trim().split("\n").slice(-5).join(" | ") || err.message}` : null),
    ),
  );
  if (error) return error;
  return installedVersion(dir, pkg.name) === pkg.version ? null : `npm install ${spec} did not install it`;
}
