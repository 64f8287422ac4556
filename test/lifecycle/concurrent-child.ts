/**
 * One of several processes hammering a shared folder at once (concurrent-processes.test.ts): random
 * writes, reads and collection churn; reports its errors by kind, and each "self-miss" (a record read
 * by id, then not found at distance 0 by its own vector while it still holds that vector).
 */
import { PersistentClient } from "../../src/index.js";
import { rng } from "../helpers/rng.js";

const [dir, who, nOps] = process.argv.slice(2) as [string, string, string];
const client = new PersistentClient({ path: dir, timeout: 30_000 });
const r = rng(who.charCodeAt(0) * 7919);
const vec = (i: number) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 1.7 + j));
const errors: Record<string, number> = {};
const note = (k: string) => void (errors[k] = (errors[k] ?? 0) + 1);

async function checkSelf(c: Awaited<ReturnType<typeof client.getOrCreateCollection>>, id: string): Promise<void> {
  const g = await c.get({ ids: [id], include: ["embeddings"] });
  if (g.ids.length === 0) return;
  const own = Array.from(g.embeddings[0]!);
  const q = await c.query({ queryEmbeddings: [own], nResults: 1, include: ["distances"] });
  if (q.distances[0]![0]! < 1e-4) return;
  // Rewritten or deleted by another process in between: a race of the test, not a miss.
  const again = await c.get({ ids: [id], include: ["embeddings"] });
  if (again.ids.length === 1 && Array.from(again.embeddings[0]!).every((v, j) => v === own[j])) note("self-miss");
}

for (let i = 0; i < Number(nOps); i++) {
  const name = r() < 0.8 ? "shared-main" : "shared-churn";
  try {
    const c = await client.getOrCreateCollection({ name });
    const x = r();
    const n = Math.floor(r() * 400);
    const id = `k${n}`;
    if (x < 0.3) await c.upsert({ ids: [id, `${id}b`], embeddings: [vec(n), vec(n + 1000)], metadatas: [{ who, n }, { n }] });
    else if (x < 0.4) await c.delete({ ids: [id] });
    else if (x < 0.45) await c.delete({ where: { n: { $gt: 390 } } });
    else if (x < 0.5) await c.update({ ids: [id], metadatas: [{ touched: true }] });
    else if (x < 0.75) await checkSelf(c, id);
    else if (x < 0.9) await c.get({ where: { n: { $lt: 50 } } });
    else if (x < 0.98) await c.count();
    else if (name === "shared-churn") await client.deleteCollection({ name });
  } catch (err) {
    // The churned collection may be deleted by another process between any two calls.
    const e = err as Error;
    note(e.name === "NotFoundError" && name === "shared-churn" ? "churn-not-found" : `${e.name}: ${e.message.slice(0, 160)}`);
  }
}
process.send!({ who, errors });
await client.close();
