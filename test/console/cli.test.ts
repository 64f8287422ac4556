/**
 * `chromalite console`: serves the folder with the console at `/`, behind a token made for the
 * session, and prints the URL that signs in; `--open` runs the system's browser command on it (a
 * stand-in xdg-open on PATH records what it was given); `chromalite run --no-console` serves none.
 * Children are killed by their PID.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, spawnCli, type CliChild } from "../cli/helpers.js";
import { tempDir } from "../helpers/tmp.js";
import { buildConsole } from "./helpers.js";

beforeAll(() => {
  ensureBuilt();
  buildConsole();
}, 180_000);

async function consoleUrl(child: CliChild): Promise<URL> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /^console: (http:\/\/\S+)$/m.exec(child.stdout());
    if (m) return new URL(m[1]!);
    if (child.proc.exitCode !== null) throw new Error(`the CLI exited early: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no console URL: ${child.stdout()} ${child.stderr()}`);
}

describe("chromalite console", () => {
  it("prints a URL whose token opens the console; without it the API refuses; SIGTERM closes", async () => {
    const dir = tempDir();
    const child = spawnCli(["console", "--path", dir]);
    const url = await consoleUrl(child);
    expect(url.hostname).toBe("127.0.0.1");
    const token = decodeURIComponent(/^#token=(.+)$/.exec(url.hash)![1]!);
    expect(token.length).toBeGreaterThanOrEqual(20);
    const base = url.origin;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/console/assets/main.js");
    expect((await fetch(`${base}/console/assets/main.js`)).status).toBe(200);
    expect((await fetch(`${base}/console/api/catalog`)).status).toBe(401);
    expect((await fetch(`${base}/api/v2/tenants/default_tenant/databases/default_database/collections`)).status).toBe(401);
    const catalog = await fetch(`${base}/console/api/catalog`, { headers: { "x-chroma-token": token } });
    expect(catalog.status).toBe(200);
    expect(((await catalog.json()) as { path: string }).path).toBe(fs.realpathSync(dir));
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });

  it("--open runs the browser command with the URL; --auth-token sets the token", async () => {
    const dir = tempDir();
    const bin = tempDir();
    const record = path.join(bin, "opened.txt");
    // Written aside, then renamed: the test must not read the file between its creation and the write.
    fs.writeFileSync(path.join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > '${record}.tmp' && mv '${record}.tmp' '${record}'\n`, { mode: 0o755 });
    const child = spawnCli(["console", "--path", dir, "--open", "--auth-token", "s3cret"], { env: { PATH: `${bin}:${process.env.PATH ?? ""}` } });
    const url = await consoleUrl(child);
    expect(url.hash).toBe("#token=s3cret");
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(record) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fs.readFileSync(record, "utf8")).toBe(url.href);
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });

  it("chromalite run serves the console; with --no-console it serves none, and lists none in /openapi.json", async () => {
    const dir = tempDir();
    const serving = async (args: string[]) => {
      const child = spawnCli(["run", "--path", dir, "--port", "0", ...args]);
      await expect.poll(() => /serving .* at (http:\/\/[\d.:]+)/.test(child.stdout()) || child.proc.exitCode !== null, { timeout: 20_000 }).toBe(true);
      const m = /serving .* at (http:\/\/[\d.:]+)/.exec(child.stdout());
      if (!m) throw new Error(`the CLI did not start: ${child.stderr()}`);
      return { child, base: m[1]! };
    };
    const paths = async (base: string) => Object.keys(((await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> }).paths);
    const on = await serving([]);
    try {
      expect((await fetch(`${on.base}/`)).status).toBe(200);
      expect((await fetch(`${on.base}/console/api/catalog`)).status).toBe(200);
      expect(await paths(on.base)).toContain("/console/api/catalog");
    } finally {
      on.child.proc.kill("SIGTERM");
      await on.child.exited;
    }
    const off = await serving(["--no-console"]);
    try {
      for (const p of ["/", "/console/assets/main.js", "/console/api/catalog", "/console/api/verify"]) expect((await fetch(`${off.base}${p}`)).status, p).toBe(404);
      expect((await fetch(`${off.base}/api/v2/heartbeat`)).status).toBe(200);
      const listed = await paths(off.base);
      expect(listed).toContain("/api/v2/heartbeat");
      expect(listed.filter((p) => p.startsWith("/console"))).toEqual([]);
    } finally {
      off.child.proc.kill("SIGTERM");
      expect((await off.child.exited).code).toBe(0);
    }
  });
});
