/**
 * Where the CLI's settings come from, as the README says: flags, then CHROMALITE_* variables, then
 * the config file (--config, $CHROMALITE_CONFIG or ./chromalite.config.json), then the defaults;
 * `run` says which folder it serves; every command takes --json; a file in place of the data folder
 * is one clear line. The whole program runs in process (startServer recorded, not started).
 */
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { InvalidArgumentError, PersistentClient, VERSION } from "../../src/index.js";
import type * as ServerModule from "../../src/server/index.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/index.js";
import { tempDir } from "../helpers/tmp.js";
import { ensureBuilt, expectOneLineError, runCli } from "./helpers.js";

vi.mock("../../src/server/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof ServerModule>();
  const fake = (o: ServerOptions): Promise<RunningServer> =>
    Promise.resolve({ url: `http://${o.host}:${o.port}`, host: o.host!, port: o.port!, path: o.path, close: () => Promise.resolve() });
  return { ...real, startServer: vi.fn(fake) };
});

beforeAll(() => ensureBuilt(), 120_000);

const VARS = ["CHROMALITE_PATH", "CHROMALITE_HOST", "CHROMALITE_PORT", "CHROMALITE_AUTH_TOKEN", "CHROMALITE_LOG_LEVEL", "CHROMALITE_LOG_FORMAT", "CHROMALITE_CONFIG"];

afterEach(() => {
  vi.unstubAllEnvs();
  vi.mocked(startServer).mockClear();
});

/** Runs `chromalite ARGS` in process in `cwd`; returns what `run` gave startServer and what it logged. */
async function chromalite(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  for (const name of VARS) vi.stubEnv(name, opts.env?.[name]);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  stderr.resume();
  const signals = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
  const cwd = process.cwd();
  process.chdir(opts.cwd);
  const { program, current } = buildProgram({ stdout, stderr });
  try {
    await program.parseAsync(["node", "chromalite", ...args]);
  } finally {
    process.chdir(cwd);
    // Only the CLI installs signal handlers: take run's off again.
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      for (const l of process.listeners(signal)) if (!signals[signal].includes(l)) process.off(signal, l);
    }
  }
  const calls = vi.mocked(startServer).mock.calls;
  const logs = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { server: calls.at(-1)?.[0], logs, ctx: current()! };
}

function writeConfig(dir: string, values: Record<string, unknown>, name = "chromalite.config.json"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

describe("settings: flags, then CHROMALITE_* variables, then the config file, then the defaults", () => {
  it("uses the defaults with nothing set, and says at start which folder it serves", async () => {
    const cwd = tempDir();
    const { server, logs, ctx } = await chromalite(["run"], { cwd });
    expect(server).toMatchObject({ path: path.join(fs.realpathSync(cwd), "chroma-data"), host: "127.0.0.1", port: 8000, authToken: undefined });
    expect(ctx.log.level).toBe("info");
    const start = logs.find((l) => typeof l.msg === "string" && l.msg.includes(" serving "));
    expect(start).toMatchObject<Record<string, unknown>>({ level: 30, time: expect.any(Number) as number, path: server!.path, url: "http://127.0.0.1:8000" });
    expect(start!.msg).toBe(`chromalite ${VERSION} serving ${server!.path} at http://127.0.0.1:8000`);
  });

  it("reads ./chromalite.config.json; a relative path in it is relative to the file", async () => {
    const cwd = tempDir();
    writeConfig(cwd, { path: "data", host: "127.0.0.2", port: 9001, authToken: "from-file", logLevel: "debug" });
    const { server, logs, ctx } = await chromalite(["run"], { cwd });
    expect(server).toMatchObject({ path: path.join(fs.realpathSync(cwd), "data"), host: "127.0.0.2", port: 9001, authToken: "from-file" });
    expect(ctx.log.level).toBe("debug");
    expect(logs[0]).toMatchObject({ msg: expect.stringContaining("settings from") as string, config: path.join(fs.realpathSync(cwd), "chromalite.config.json") });
  });

  it("variables override the file, flags override both; --config and $CHROMALITE_CONFIG name another file", async () => {
    const cwd = tempDir();
    const elsewhere = tempDir();
    const file = writeConfig(elsewhere, { path: "data", host: "127.0.0.2", port: 9001, authToken: "from-file", logLevel: "debug" }, "my.json");
    const env = { CHROMALITE_CONFIG: file, CHROMALITE_HOST: "127.0.0.3", CHROMALITE_PORT: "9002", CHROMALITE_LOG_LEVEL: "error" };
    const fromEnv = await chromalite(["run"], { cwd, env });
    expect(fromEnv.server).toMatchObject({ path: path.join(elsewhere, "data"), host: "127.0.0.3", port: 9002, authToken: "from-file" });
    expect(fromEnv.ctx.log.level).toBe("error");
    const fromFlags = await chromalite(["--log-level", "warn", "run", "--host", "127.0.0.4", "--port", "9003", "--path", "flag-data", "--auth-token", "flag"], {
      cwd,
      env: { ...env, CHROMALITE_PATH: "/env/path", CHROMALITE_AUTH_TOKEN: "env-token" },
    });
    expect(fromFlags.server).toMatchObject({ path: path.join(fs.realpathSync(cwd), "flag-data"), host: "127.0.0.4", port: 9003, authToken: "flag" });
    expect(fromFlags.ctx.log.level).toBe("warn");
    const viaFlag = await chromalite(["--config", file, "run"], { cwd, env: { CHROMALITE_AUTH_TOKEN: "env-token" } });
    expect(viaFlag.server).toMatchObject({ host: "127.0.0.2", port: 9001, authToken: "env-token" });
  });

  it("CHROMALITE_PATH and the file's path reach every command that takes --path", async () => {
    const cwd = tempDir();
    const data = path.join(cwd, "elsewhere");
    await (await PersistentClient.open({ path: data })).close();
    const viaEnv = await runCli(["stats", "--json"], { env: { CHROMALITE_PATH: data } });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ path: data, collections: [] });
    writeConfig(cwd, { path: "elsewhere" });
    const result = await runCli(["stats", "--json"], { env: { CHROMALITE_CONFIG: path.join(cwd, "chromalite.config.json") } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ path: data, collections: [] });
  });

  it("does what the README's config example says, line by line", async () => {
    const readme = fs.readFileSync(path.resolve("README.md"), "utf8");
    const [, json, sh] = /```json chromalite\.config\.json\n([\s\S]*?)```\s*```sh\n([\s\S]*?)```/.exec(readme) ?? [];
    expect(json, "the README's config example").toBeDefined();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "chromalite.config.json"), json!);
    const lines = sh!.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      const [command, comment = ""] = line.split("#");
      const words = command!.trim().split(/\s+/);
      const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split("=") as [string, string]));
      const args = words.slice(words.indexOf("chromalite") + 1);
      const { server, ctx } = await chromalite(args, { cwd, env });
      const port = /port (\d+)/.exec(comment)?.[1] ?? (/a free port/.test(comment) ? "0" : undefined);
      expect(port, `the comment of: ${line}`).toBeDefined();
      expect(server, line).toMatchObject({ port: Number(port), path: path.join(fs.realpathSync(cwd), "data"), host: "127.0.0.1" });
      expect(ctx.log.level, line).toBe("warn");
    }
  });

  it("refuses a bad config file with one line naming the file and the key", async () => {
    const cwd = tempDir();
    const file = writeConfig(cwd, { prot: 8000 });
    const unknown = await runCli(["stats"], { env: { CHROMALITE_CONFIG: file } });
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown, /^chromalite: config file .*chromalite\.config\.json: unknown key 'prot' \(known: path, host, port, authToken, logLevel\)$/);
    writeConfig(cwd, { port: "8000" });
    expectOneLineError(await runCli(["stats"], { env: { CHROMALITE_CONFIG: file } }), /'port' must be an integer from 0 to 65535, got "8000"$/);
    const missing = await runCli(["--config", path.join(cwd, "nope.json"), "stats"]);
    expect(missing.code).toBe(2);
    expectOneLineError(missing, /^chromalite: config file .*nope\.json does not exist$/);
  });
});

describe("--json and clear failures", () => {
  it("every command takes --json; a failure with --json is one JSON line on stderr", async () => {
    const { program } = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough() });
    for (const command of program.commands) {
      expect(command.options.map((o) => o.long), command.name()).toContain("--json");
    }
    const failed = await runCli(["stats", "--path", path.join(tempDir(), "missing"), "--json"]);
    expect(failed.code).toBe(2);
    const lines = failed.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ error: { name: "UsageError", message: expect.stringMatching(/missing does not exist$/) as string } });
  });

  it("a file where the data folder should be is one clear line (run, import), and a typed error for the client", async () => {
    const file = path.join(tempDir(), "not-a-folder");
    fs.writeFileSync(file, "x");
    const run = await runCli(["run", "--path", file, "--port", "0"]);
    expect(run.code).toBe(1);
    expectOneLineError(run, /^chromalite: .*not-a-folder is not a folder: a file is in the way/);
    expect(run.stderr).not.toMatch(/EEXIST|mkdir/);
    const imported = await runCli(["import", "--path", path.join(file, "below"), "--in", file]);
    expectOneLineError(imported, /^chromalite: .*not-a-folder\/below is not a folder: a file is in the way/);
    const client = new PersistentClient({ path: file });
    onTestFinished(() => client.close());
    await expect(client.heartbeat()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
