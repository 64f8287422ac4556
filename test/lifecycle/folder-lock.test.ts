import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { LockedError, PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";

const SRC = JSON.stringify(path.resolve("src/index.ts"));

/** Starts a child process that opens `dir` (alone, or shared) and holds it until killed; resolves once it is open. */
async function holder(dir: string, exclusive = true): Promise<{ pid: number; kill: (signal?: NodeJS.Signals) => Promise<void> }> {
  const script = `
    import { PersistentClient } from ${SRC};
    const client = await PersistentClient.open({ path: ${JSON.stringify(dir)}, exclusive: ${exclusive} });
    const c = await client.getOrCreateCollection({ name: "held" });
    await c.add({ ids: ["x"], embeddings: [[1, 2, 3]] });
    process.stdout.write("open\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  onTestFinished(() => kill());
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => d.toString().includes("open") && resolve());
    child.once("exit", () => reject(new Error(`holder exited: ${err}`)));
  });
  return { pid: child.pid!, kill };
}

describe("the folder lock: shared by default, or held alone", () => {
  it("a process holding the folder exclusively: a second one gets a LockedError naming the holder's PID, and takes over once the holder is killed", async () => {
    const dir = tempDir();
    const other = await holder(dir);
    const client = new PersistentClient({ path: dir });
    const err: unknown = await client.listCollections().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).holderPid).toBe(other.pid);
    expect((err as LockedError).message).toContain(String(other.pid));
    await client.close();

    await other.kill("SIGKILL"); // leaves a stale lock file behind
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(true);
    const after = new PersistentClient({ path: dir });
    const c = await after.getCollection({ name: "held" });
    expect((await c.get()).ids).toEqual(["x"]);
    await after.close();
  });

  it("a process sharing the folder: another shares it too and sees its data, but cannot hold it exclusively", async () => {
    const dir = tempDir();
    await holder(dir, false);
    const alone = new PersistentClient({ path: dir, exclusive: true });
    const err: unknown = await alone.listCollections().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).message).toMatch(/in use by other processes.*cannot be held exclusively/);
    await alone.close();
    const sharing = new PersistentClient({ path: dir });
    const c = await sharing.getCollection({ name: "held" });
    expect((await c.get()).ids).toEqual(["x"]);
    await sharing.close();
    // The holder still has it: the lock file stays for it.
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(true);
  });

  it("PersistentClient.open surfaces the lock error at once", async () => {
    const dir = tempDir();
    const other = await holder(dir);
    await expect(PersistentClient.open({ path: dir })).rejects.toMatchObject({ code: "LOCKED", holderPid: other.pid });
  });

  it("two clients on one folder in one process share one engine; the folder is released when the last closes", async () => {
    const dir = tempDir();
    const a = new PersistentClient({ path: dir });
    const b = new PersistentClient({ path: path.join(dir, ".") });
    const ca = await a.createCollection({ name: "shared" });
    await ca.add({ ids: ["1"], embeddings: [[1, 1]] });
    const cb = await b.getCollection({ name: "shared" });
    expect(await cb.count()).toBe(1);
    await a.close();
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(true);
    await cb.add({ ids: ["2"], embeddings: [[2, 2]] });
    await b.close();
    expect(fs.existsSync(path.join(dir, "chromalite.lock"))).toBe(false);
  });
});
