/**
 * A shared folder on a difficult disk: full (a small tmpfs, root only), or read-only (a read-only
 * bind mount, root only). Another process shares the folder throughout: it loses nothing and keeps
 * working. Skipped (saying why) where the mounts cannot be made.
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import Database from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { PersistentClient, ReadOnlyError, StorageFullError } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";

const SRC = JSON.stringify(path.resolve("src/index.ts"));

/** Mounts `args` on a fresh folder (root only), unmounted after the test; undefined where it cannot. */
function mounted(make: (dir: string) => void): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tempDir();
  try {
    make(dir);
  } catch {
    return undefined;
  }
  onTestFinished(() => void execFileSync("umount", ["-l", dir]));
  return dir;
}

/**
 * A second process on `dir`, driven line by line: `add <id>` adds a record (answers the outcome),
 * `count` answers the count. Killed after the test.
 */
function sharer(dir: string): (command: string) => Promise<string> {
  const script = `
    import readline from "node:readline";
    import { PersistentClient } from ${SRC};
    const client = new PersistentClient({ path: ${JSON.stringify(dir)} });
    const c = await client.getOrCreateCollection({ name: "shared" });
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const [cmd, arg] = line.split(" ");
      try {
        if (cmd === "add") {
          await c.add({ ids: [arg], embeddings: [[1, 2, 3]], documents: ["x".repeat(1000)] });
          console.log("ok");
        } else console.log(String(await c.count()));
      } catch (err) {
        console.log(err.name);
      }
    }
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  onTestFinished(() => void child.kill("SIGKILL"));
  const lines = readline.createInterface({ input: child.stdout });
  const answers: string[] = [];
  let wake: (() => void) | undefined;
  lines.on("line", (l) => {
    answers.push(l);
    wake?.();
  });
  return async (command) => {
    child.stdin.write(`${command}\n`);
    while (answers.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return answers.shift()!;
  };
}

describe("a shared folder on a full disk", () => {
  it("the process that fills it gets StorageFullError; the other loses nothing and keeps working; both write again once space is freed", async (ctx) => {
    const disk = mounted((dir) => execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir], { stdio: "ignore" }));
    if (!disk) return ctx.skip(); // needs root and tmpfs
    const other = sharer(disk);
    for (let i = 0; i < 20; i++) expect(await other(`add o${i}`)).toBe("ok");
    // Room to give back later.
    const spare = path.join(disk, "spare.bin");
    fs.writeFileSync(spare, Buffer.alloc(2 << 20));
    const client = new PersistentClient({ path: disk });
    onTestFinished(() => client.close());
    const c = await client.getOrCreateCollection({ name: "shared" });
    let acked = 0;
    let error: unknown;
    for (let i = 0; i < 200 && !error; i++) {
      try {
        await c.add({ ids: [`big${i}`], embeddings: [[3, 2, 1]], documents: ["y".repeat(200_000)] });
        acked++;
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(StorageFullError);
    expect(acked).toBeGreaterThan(0);
    // The other process reads everything acknowledged by both.
    expect(await other("count")).toBe(String(20 + acked));
    fs.rmSync(spare);
    expect(await other("add o-after")).toBe("ok");
    await c.add({ ids: ["mine-after"], embeddings: [[0, 0, 1]] });
    expect(await c.count()).toBe(20 + acked + 2);
    expect((await c.get({ ids: ["o0", "o19", "big0", "o-after"] })).ids).toEqual(["o0", "o19", "big0", "o-after"]);
    await client.close();
    const db = new Database(path.join(disk, "chroma.sqlite3"), { readonly: true });
    onTestFinished(() => void db.close());
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  }, 60_000);
});

describe("a read-only disk", () => {
  it("a readOnly client reads a folder on it (from a copy, removed on close); writes fail with ReadOnlyError", async (ctx) => {
    const dir = tempDir();
    const writer = new PersistentClient({ path: dir });
    const c = await writer.createCollection({ name: "kept" });
    await c.add({ ids: ["a", "b"], embeddings: [[1, 0], [0, 1]], documents: ["alpha", "beta"] });
    await writer.close();
    const view = mounted((v) => {
      execFileSync("mount", ["--bind", dir, v], { stdio: "ignore" });
      execFileSync("mount", ["-o", "remount,ro,bind", v], { stdio: "ignore" });
    });
    if (!view) return ctx.skip(); // needs root and bind mounts
    // It reads a temporary copy there (SQLite cannot open WAL read-only on a read-only disk): gone after close.
    const copies = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("chromalite-readonly-")).sort();
    const before = copies();
    const reader = new PersistentClient({ path: view, readOnly: true });
    const kept = await reader.getCollection({ name: "kept" });
    expect((await kept.query({ queryEmbeddings: [[0, 1]], nResults: 1, include: ["documents"] })).documents).toEqual([["beta"]]);
    await expect(kept.add({ ids: ["c"], embeddings: [[1, 1]] })).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(reader.deleteCollection({ name: "kept" })).rejects.toBeInstanceOf(ReadOnlyError);
    const ours = copies().filter((n) => !before.includes(n));
    expect(ours.length).toBeGreaterThan(0);
    await reader.close();
    expect(copies().filter((n) => ours.includes(n))).toEqual([]);
  });
});
