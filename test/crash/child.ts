/**
 * Crash-suite child: opens a chromalite folder and writes for ever (adds, upserts, updates, deletes,
 * collection creates/deletes, index saves), telling the parent over IPC before each operation starts
 * and after it is acknowledged. The parent kills it with SIGKILL at a random moment.
 * argv: <dir> <seed>
 */
import { PersistentClient } from "../../src/index.js";
import type { CrashOp } from "./model.js";
import { rng } from "../helpers/rng.js";

const [dir, seedText] = process.argv.slice(2);
const rand = rng(Number(seedText));
const int = (n: number) => Math.floor(rand() * n);
const DIM = 16;
const vector = () => Array.from({ length: DIM }, () => rand() * 2 - 1);

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, undefined, (err) => (err ? reject(err) : resolve())));
}

const client = new PersistentClient({ path: dir!, timeout: 0 });
// A small sync threshold makes index saves frequent, so kills land inside them too.
const crash = await client.getOrCreateCollection({ name: "crash", configuration: { hnsw: { sync_threshold: 40 } } });
const ids = new Set((await crash.get({ include: [] })).ids);
const sideCollections = new Set((await client.listCollections()).map((c) => c.name).filter((n) => n !== "crash"));
let nextId = 0;
for (const id of ids) nextId = Math.max(nextId, Number(id.slice(1)) + 1);
let nextCollection = 0;
for (const name of sideCollections) nextCollection = Math.max(nextCollection, Number(name.slice(5)) + 1);
await send({ type: "ready" });

const existing = (n: number) => {
  const all = [...ids];
  return Array.from({ length: Math.min(n, all.length) }, () => all[int(all.length)]!).filter((v, i, a) => a.indexOf(v) === i);
};
const meta = () => ({ bucket: int(20), label: `l${int(5)}`, flag: rand() < 0.5 });

function nextOp(): CrashOp {
  const r = rand();
  if (ids.size < 1500 || r < 0.3) {
    const n = 1 + int(ids.size < 1500 ? 400 : 150);
    const fresh = Array.from({ length: n }, () => `r${nextId++}`);
    const batch = rand() < 0.1 ? [...fresh, ...existing(3)] : fresh;
    const unique = batch.filter((v, i, a) => a.indexOf(v) === i);
    return { kind: "add", ids: unique, embeddings: unique.map(vector), documents: unique.map((id) => `doc ${id} ${int(1000)}`), metadatas: unique.map(meta) };
  }
  if (r < 0.5) {
    const batch = [...existing(1 + int(80)), ...Array.from({ length: int(20) }, () => `r${nextId++}`)];
    return { kind: "upsert", ids: batch, embeddings: batch.map(vector), documents: batch.map((id) => `up ${id} ${int(1000)}`), metadatas: batch.map(meta) };
  }
  if (r < 0.65) {
    const batch = [...existing(1 + int(80)), `missing${int(100)}`];
    return {
      kind: "update",
      ids: batch,
      embeddings: rand() < 0.5 ? batch.map(vector) : undefined,
      metadatas: batch.map((): Record<string, number | null> => (rand() < 0.3 ? { label: null, extra: int(9) } : { bucket: int(20) })),
    };
  }
  if (r < 0.8) return { kind: "delete", ids: existing(1 + int(60)) };
  if (r < 0.85) return { kind: "deleteWhere", bucket: int(20) };
  if (r < 0.92) {
    if (sideCollections.size > 0 && rand() < 0.5) return { kind: "deleteCollection", name: [...sideCollections][int(sideCollections.size)]! };
    const n = 1 + int(50);
    const side = Array.from({ length: n }, (_, i) => `s${i}`);
    return { kind: "createCollection", name: `side-${nextCollection++}`, ids: side, embeddings: side.map(vector) };
  }
  return { kind: "flush" };
}

async function execute(op: CrashOp): Promise<void> {
  switch (op.kind) {
    case "add":
      return crash.add(op);
    case "upsert":
      return crash.upsert(op);
    case "update":
      return crash.update(op);
    case "delete":
      await crash.delete({ ids: op.ids });
      return;
    case "deleteWhere":
      await crash.delete({ where: { bucket: op.bucket } });
      return;
    case "createCollection": {
      const c = await client.createCollection({ name: op.name });
      await c.add({ ids: op.ids, embeddings: op.embeddings });
      return;
    }
    case "deleteCollection":
      return client.deleteCollection({ name: op.name });
    case "flush":
      return client.flush();
  }
}

function track(op: CrashOp): void {
  if (op.kind === "add" || op.kind === "upsert") op.ids.forEach((id) => ids.add(id));
  if (op.kind === "delete") op.ids.forEach((id) => ids.delete(id));
  if (op.kind === "createCollection") sideCollections.add(op.name);
  if (op.kind === "deleteCollection") sideCollections.delete(op.name);
}

for (let n = 0; ; n++) {
  const op = nextOp();
  await send({ type: "begin", n, op });
  await execute(op);
  if (op.kind === "deleteWhere") {
    // Which ids went depends on the store; re-read them so later ops pick live ids.
    ids.clear();
    for (const id of (await crash.get({ include: [] })).ids) ids.add(id);
  } else track(op);
  await send({ type: "ack", n });
}
