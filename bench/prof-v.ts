import { PersistentClient } from "../src/index.js";
const client = new PersistentClient({ path: "/tmp/tsprof/db", timeout: 0 });
const c = await client.getCollection({ name: "speed" });
await c.count();
for (const p of [" the ", " flow ", " is there ", " the temperature", "zzzq"]) {
  for (const lim of [10, undefined]) {
    const t = performance.now();
    const r = await c.get({ whereDocument: { $contains: p }, limit: lim, include: [] });
    console.log(JSON.stringify(p), lim, r.ids.length, (performance.now() - t).toFixed(2));
  }
}
await client.close();
