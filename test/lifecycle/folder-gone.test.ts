/**
 * A data folder deleted (or deleted and made again) under a running process: every call fails with
 * FolderGoneError and no write is acknowledged, instead of writes landing in a deleted file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { FolderGoneError, PersistentClient } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { TD, request } from "../server/helpers.js";

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-gone-"));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("a folder deleted under a running process", () => {
  it("fails every call with FolderGoneError, acknowledging no write", async () => {
    const dir = folder();
    const client = await PersistentClient.open({ path: dir });
    onTestFinished(() => client.close());
    const c = await client.createCollection({ name: "gone" });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    fs.rmSync(dir, { recursive: true, force: true });
    await expect(c.add({ ids: ["b"], embeddings: [[3, 4]] })).rejects.toBeInstanceOf(FolderGoneError);
    await expect(c.get()).rejects.toMatchObject({ code: "FOLDER_GONE" });
    await expect(client.listCollections()).rejects.toBeInstanceOf(FolderGoneError);
  });

  it("also when a new folder (and database file) is made at the same path", async () => {
    const dir = folder();
    const client = await PersistentClient.open({ path: dir });
    onTestFinished(() => client.close());
    const c = await client.createCollection({ name: "replaced" });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "chroma.sqlite3"), "");
    await expect(c.upsert({ ids: ["b"], embeddings: [[3, 4]] })).rejects.toBeInstanceOf(FolderGoneError);
  });

  it("the server answers 500 naming the cause for writes and reads after rm -rf of its folder", async () => {
    const dir = folder();
    const server = await startServer({ path: dir, port: 0 });
    onTestFinished(() => server.close());
    const created = await request(server.url, "POST", `${TD}/collections`, { name: "docs" });
    const id = (created.body as { id: string }).id;
    const add = (i: number) => request(server.url, "POST", `${TD}/collections/${id}/add`, { ids: [`r${i}`], embeddings: [[i, 1]] });
    expect((await add(0)).status).toBe(201);
    fs.rmSync(dir, { recursive: true, force: true });
    const after = await Promise.all([1, 2, 3].map(add));
    expect(after.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(after[0]!.text).toMatch(/data folder was deleted or replaced while open/);
    const count = await request(server.url, "GET", `${TD}/collections/${id}/count`);
    expect(count.status).toBe(500);
  });
});
