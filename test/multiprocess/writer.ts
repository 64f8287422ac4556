/**
 * The fault suite's write loop, run inside a child: writer `w` writes only its own ids (`w<w>-<n>`,
 * metadata `w: <w>`) and its own side collections (`side-w<w>-<n>`), so several writers on one
 * collection never touch each other's records and the parent can keep one model per writer (the crash
 * suite's model, test/crash/model.ts). Before each operation it reports `begin` with the operation in
 * full, after its acknowledgement `ack`.
 */
import type { PersistentClient } from "../../src/index.js";
import type { CrashOp } from "../crash/model.js";
import { rng } from "../helpers/rng.js";

export const WRITER_DIM = 8;

export type LoopEvent =
  | { type: "begin"; writer: number; n: number; op: CrashOp }
  | { type: "ack"; writer: number; n: number }
  | { type: "failed"; writer: number; error: string };

export interface LoopControl {
  /** Ends the loop after the operation in flight; resolves with how many were acknowledged. */
  stop(): Promise<{ acks: number }>;
}

export function runWriteLoop(
  client: PersistentClient,
  collectionId: string,
  writer: number,
  seed: number,
  report: (e: LoopEvent) => Promise<void>,
): LoopControl {
  const rand = rng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const vector = () => Array.from({ length: WRITER_DIM }, () => Math.round((rand() * 2 - 1) * 1000) / 1000);
  const col = client.collection(collectionId);
  const prefix = `w${writer}-`;
  const ids = new Set<string>();
  const sides = new Set<string>();
  let nextId = 0;
  let nextSide = 0;
  let stopping = false;
  let acks = 0;

  /** This writer's ids and side collections as the store has them (a restarted writer resumes from them). */
  async function resync(): Promise<void> {
    ids.clear();
    for (const id of (await col.get({ where: { w: writer }, include: [] })).ids) ids.add(id);
    sides.clear();
    for (const c of await client.listCollections({ limit: 10_000 })) if (c.name.startsWith(`side-${prefix}`)) sides.add(c.name);
    for (const id of ids) nextId = Math.max(nextId, Number(id.slice(prefix.length)) + 1);
    for (const name of sides) nextSide = Math.max(nextSide, Number(name.slice(`side-${prefix}`.length)) + 1);
  }

  const existing = (n: number) => {
    const all = [...ids];
    return [...new Set(Array.from({ length: Math.min(n, all.length) }, () => all[int(all.length)]!))];
  };
  const meta = () => ({ w: writer, bucket: int(10), label: `l${int(4)}` });
  const fresh = (n: number) => Array.from({ length: n }, () => `${prefix}${nextId++}`);

  function nextOp(): CrashOp {
    const r = rand();
    if (ids.size < 60 || (ids.size < 400 && r < 0.3)) {
      const batch = [...fresh(1 + int(40)), ...(rand() < 0.2 ? existing(2) : [])];
      return { kind: "add", ids: batch, embeddings: batch.map(vector), documents: batch.map((id) => `doc ${id} ${int(100)}`), metadatas: batch.map(meta) };
    }
    if (r < 0.45) {
      const batch = [...existing(1 + int(20)), ...fresh(int(5))];
      return { kind: "upsert", ids: batch, embeddings: batch.map(vector), documents: batch.map((id) => `up ${id} ${int(100)}`), metadatas: batch.map(meta) };
    }
    if (r < 0.65) {
      const batch = [...existing(1 + int(20)), `${prefix}missing${int(9)}`];
      return {
        kind: "update",
        ids: batch,
        embeddings: rand() < 0.5 ? batch.map(vector) : undefined,
        // never `w`: it says whose record this is
        metadatas: batch.map((): Record<string, number | null> => (rand() < 0.3 ? { label: null, extra: int(9) } : { bucket: int(10) })),
      };
    }
    if (r < 0.82) return { kind: "delete", ids: existing(1 + int(25)) };
    if (r < 0.88) return { kind: "deleteWhere", bucket: int(10) };
    if (sides.size > 0 && rand() < 0.5) return { kind: "deleteCollection", name: [...sides][int(sides.size)]! };
    return { kind: "createCollection", name: `side-${prefix}${nextSide++}`, ids: [], embeddings: [] };
  }

  async function execute(op: CrashOp): Promise<void> {
    switch (op.kind) {
      case "add":
        return col.add(op);
      case "upsert":
        return col.upsert(op);
      case "update":
        return col.update(op);
      case "delete":
        await col.delete({ ids: op.ids });
        return;
      case "deleteWhere":
        await col.delete({ where: { $and: [{ w: writer }, { bucket: op.bucket }] } });
        return;
      case "createCollection":
        await client.createCollection({ name: op.name });
        return;
      case "deleteCollection":
        return client.deleteCollection({ name: op.name });
      case "flush":
        return client.flush();
    }
  }

  const done = (async () => {
    await resync();
    for (let n = 0; !stopping; n++) {
      const op = nextOp();
      await report({ type: "begin", writer, n, op });
      await execute(op);
      if (op.kind === "add" || op.kind === "upsert") op.ids.forEach((id) => ids.add(id));
      if (op.kind === "delete") op.ids.forEach((id) => ids.delete(id));
      if (op.kind === "createCollection") sides.add(op.name);
      if (op.kind === "deleteCollection") sides.delete(op.name);
      if (op.kind === "deleteWhere") await resync();
      acks++;
      await report({ type: "ack", writer, n });
    }
  })();
  // A failed write ends the loop: the parent hears of it at once, and stop() rejects with it.
  done.catch((err: unknown) => report({ type: "failed", writer, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }).catch(() => undefined));
  return {
    async stop() {
      stopping = true;
      await done;
      return { acks };
    },
  };
}
