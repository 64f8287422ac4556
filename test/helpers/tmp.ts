import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";
import { PersistentClient, type PersistentClientOptions } from "../../src/index.js";

/** A fresh temp folder, removed when the current test finishes (pass or fail). */
export function tempDir(prefix = "chromalite-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A client on a fresh temp folder, closed and removed when the current test finishes. */
export function tempClient(options: Omit<PersistentClientOptions, "path"> = {}): { client: PersistentClient; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-test-"));
  const client = new PersistentClient({ path: dir, ...options });
  onTestFinished(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { client, dir };
}
