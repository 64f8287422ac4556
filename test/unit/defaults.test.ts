/** Facts written once and relied on by every door: the version, the default folder, and the test helpers' own promise. */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { commands } from "../../src/cli/commands/index.js";
import { PersistentClient, VERSION } from "../../src/index.js";
import { sharedData } from "../helpers/datasets.js";
import { captureContext } from "../cli/helpers.js";

afterEach(() => vi.restoreAllMocks());

describe("one home for each fact", () => {
  it("reports the package's version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve("package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const client = new PersistentClient({ path: fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "chromalite-version-")) });
    try {
      expect(await client.version()).toBe(pkg.version);
    } finally {
      await client.close();
      fs.rmSync(client.path, { recursive: true, force: true });
    }
  });

  it("defaults to ./chroma-data in the client and in every CLI command that takes --path", () => {
    // Constructing a client does no I/O, so the default can be looked at without creating it.
    expect(new PersistentClient().path).toBe(path.resolve("./chroma-data"));
    const program = new Command("chromalite");
    const { ctx } = captureContext();
    for (const register of commands) register(program, () => ctx);
    const withPath = program.commands.filter((c) => c.options.some((o) => o.long === "--path"));
    expect(withPath.map((c) => c.name()).sort()).toEqual(["console", "export", "import", "run", "stats", "verify"]);
    for (const c of withPath) expect(c.options.find((o) => o.long === "--path")!.defaultValue, c.name()).toBe("./chroma-data");
  });

  it("shared data that is missing is skipped visibly: a warning names the file", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const missing = sharedData("no-such-data-set/file.bin");
    expect(missing.exists).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(missing.path));
  });
});
