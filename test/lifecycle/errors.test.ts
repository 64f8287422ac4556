/**
 * The README's error promises: every failure is a ChromaLiteError, and the ones that come from below
 * keep what they came from as `cause` (a damaged file's SQLite error, a native failure as it was).
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChromaLiteError, CorruptionError, InternalError, PersistentClient } from "../../src/index.js";
import { SqliteStore, SQLITE_FILE } from "../../src/store/sqlite-store.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

afterEach(() => vi.restoreAllMocks());

describe("typed errors and their causes", () => {
  it("a data file that is not SQLite is a CorruptionError caused by SQLite's own error", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, SQLITE_FILE), Buffer.alloc(8192, 0x5a));
    const err = await PersistentClient.open({ path: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).code).toBe("CORRUPTION");
    expect((err as CorruptionError).cause).toMatchObject({ code: "SQLITE_NOTADB" });
    // Nothing was left locked: the folder opens again once the file is gone.
    fs.rmSync(path.join(dir, SQLITE_FILE));
    const client = await PersistentClient.open({ path: dir });
    await client.close();
  });

  it("a folder of a newer chromalite is a CorruptionError that says so", async () => {
    const { client, dir } = tempClient();
    await client.heartbeat();
    await client.close();
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path.join(dir, SQLITE_FILE));
    db.prepare("UPDATE store_info SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    const err = await PersistentClient.open({ path: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as Error).message).toMatch(/newer chromalite \(schema 99/);
  });

  it("a native failure during an operation is an InternalError with the native error as its cause", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "native" });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    const native = Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
    vi.spyOn(SqliteStore.prototype, "countRecords").mockImplementation(() => {
      throw native;
    });
    const err = await c.count().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect(err).toBeInstanceOf(ChromaLiteError);
    expect((err as InternalError).code).toBe("INTERNAL");
    expect((err as InternalError).cause).toBe(native);
    expect((err as InternalError).message).toContain("disk I/O error");
    vi.restoreAllMocks();
    expect(await c.count()).toBe(1); // the failure did not break the client
  });
});
