/**
 * Multi-process child: holds at most one PersistentClient on a folder and runs what the parent asks
 * over IPC (see ./harness.ts for the protocol). Results go back as plain data (class instances reduced
 * to their fields, a Collection to `{ id, name, metadata }`), errors as `{ name, message, code }`.
 * A few requests are not client calls: holding SQLite's write lock or an index folder's save lease
 * directly, counting event-loop ticks around a call, and the fault suite's write loop (./writer.ts).
 */
import Database from "better-sqlite3";
import { Collection, PersistentClient } from "../../src/index.js";
import { tryLockPath } from "../../src/util/flock.js";
import { rng } from "../helpers/rng.js";
import { runWriteLoop, type LoopControl } from "./writer.js";

export type Request =
  | { op: "open"; options: Record<string, unknown>; lazy?: boolean }
  | { op: "client"; method: string; args: unknown[] }
  | { op: "collection"; collection: string; method: string; args: unknown[] }
  | { op: "ticked"; request: Request; intervalMs: number }
  | { op: "sqliteHold"; file: string }
  | { op: "sqliteRelease" }
  | { op: "leaseHold"; dir: string }
  | { op: "writeLoop"; collection: string; writer: number; seed: number }
  | { op: "appendLoop"; collection: string; count: number }
  | { op: "bulkAdd"; collection: string; prefix: string; count: number; dim: number; batch: number; seed: number }
  | { op: "stopLoop" }
  | { op: "close"; options?: { timeout?: number; cancel?: boolean } };

export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

export interface CollectionInfo {
  kind: "collection";
  id: string;
  name: string;
  metadata: unknown;
  configuration: unknown;
}

let client: PersistentClient | undefined;
let held: Database.Database | undefined;
const leases: (() => void)[] = [];
let loop: LoopControl | undefined;
/** Handles by collection id, from the calls that returned them (a bare `client.collection(id)` otherwise). */
const handles = new Map<string, Collection>();

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, undefined, (err) => (err ? reject(err) : resolve())));
}

/** Plain data for IPC: Collections as descriptors (and remembered), results without their methods. */
function plain(value: unknown): unknown {
  if (value instanceof Collection) {
    handles.set(value.id, value);
    return { kind: "collection", id: value.id, name: value.name, metadata: value.metadata ?? null, configuration: plain(value.configuration ?? null) } satisfies CollectionInfo;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== "function") out[k] = plain(v);
    return out;
  }
  return value;
}

function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(err) };
}

function open(): PersistentClient {
  if (!client) throw new Error("no client: send an 'open' request first");
  return client;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case "open": {
      if (client) throw new Error("already open");
      // Options the installed version may not know yet (exclusive, readOnly) go through as given.
      const c = new PersistentClient(req.options);
      try {
        if (!req.lazy) await c.heartbeat();
      } catch (err) {
        await c.close().catch(() => undefined);
        throw err;
      }
      client = c;
      return { pid: process.pid };
    }
    case "client": {
      const c = open() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      if (typeof c[req.method] !== "function") throw new Error(`no client method ${req.method}`);
      return plain(await c[req.method]!(...req.args));
    }
    case "collection": {
      let h = handles.get(req.collection);
      // modify needs a full handle; the other calls take a bare one (no lookup before the call itself).
      if (!h && req.method === "modify") h = await open().getCollectionById(req.collection);
      h ??= open().collection(req.collection);
      const fn = (h as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.method];
      if (typeof fn !== "function") throw new Error(`no collection method ${req.method}`);
      const value = plain(await fn.apply(h, req.args));
      // The new name and metadata, as the official client's handle has them after modify.
      return req.method === "modify" ? { name: h.name, metadata: h.metadata ?? null } : value;
    }
    case "ticked": {
      let ticks = 0;
      const timer = setInterval(() => ticks++, req.intervalMs);
      const started = performance.now();
      try {
        const value = await handle(req.request);
        return { ok: true, value, ticks, elapsedMs: performance.now() - started };
      } catch (err) {
        return { ok: false, error: errorInfo(err), ticks, elapsedMs: performance.now() - started };
      } finally {
        clearInterval(timer);
      }
    }
    case "sqliteHold": {
      if (held) throw new Error("already holding");
      const db = new Database(req.file, { timeout: 10_000 });
      db.exec("BEGIN IMMEDIATE");
      held = db;
      return { holding: true };
    }
    case "sqliteRelease": {
      held?.exec("ROLLBACK");
      held?.close();
      held = undefined;
      return { released: true };
    }
    case "leaseHold": {
      // The lock an index save takes on its folder (src/vector/hnsw-index.ts), held until this process dies.
      const release = tryLockPath(req.dir);
      if (!release) throw new Error(`the index folder ${req.dir} is locked by another process`);
      leases.push(release);
      return { holding: true };
    }
    case "writeLoop": {
      if (loop) throw new Error("a write loop is running");
      loop = runWriteLoop(open(), req.collection, req.writer, req.seed, (event) => send({ type: "event", event }));
      return { started: true };
    }
    case "appendLoop": {
      // One record per write, `a<i>` at [i, 1, 0, 0], each acknowledgement reported as it comes.
      const col = open().collection(req.collection);
      void (async () => {
        for (let i = 0; i < req.count; i++) {
          await col.add({ ids: [`a${i}`], embeddings: [[i, 1, 0, 0]] });
          await send({ type: "event", event: { type: "ack", writer: -1, n: i } });
        }
      })().catch((err: unknown) => send({ type: "event", event: { type: "failed", writer: -1, error: String(err) } }));
      return { started: true };
    }
    case "bulkAdd": {
      // Random vectors made here, not sent over IPC: `count` records `<prefix><i>` in batches.
      const col = open().collection(req.collection);
      const rand = rng(req.seed);
      for (let at = 0; at < req.count; at += req.batch) {
        const ids = Array.from({ length: Math.min(req.batch, req.count - at) }, (_, k) => `${req.prefix}${at + k}`);
        await col.add({ ids, embeddings: ids.map(() => Array.from({ length: req.dim }, () => rand() * 2 - 1)) });
      }
      return { added: req.count };
    }
    case "stopLoop": {
      const running = loop;
      loop = undefined;
      if (!running) throw new Error("no write loop");
      return await running.stop();
    }
    case "close": {
      await loop?.stop().catch(() => undefined);
      loop = undefined;
      await client?.close(req.options);
      client = undefined;
      handles.clear();
      return { closed: true };
    }
  }
}

process.on("message", (raw) => {
  const { id, request } = raw as { id: number; request: Request };
  handle(request).then(
    (value) => send({ type: "reply", id, ok: true, value }),
    (err: unknown) => send({ type: "reply", id, ok: false, error: errorInfo(err) }),
  ).catch((err: unknown) => {
    process.stderr.write(`reply ${id} could not be sent: ${String(err)}\n`);
  });
});
// The parent going away (a failed test run) must not leave this process behind.
process.on("disconnect", () => process.exit(0));
await send({ type: "ready", pid: process.pid });
