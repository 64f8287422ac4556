import Database from "better-sqlite3";
const db = new Database("/tmp/tsprof/db/chroma.sqlite3", { readonly: true });
const a = `SELECT r.rid FROM records r WHERE r.rid IN (SELECT rowid FROM fts_sub_1 WHERE fts_sub_1 MATCH ? UNION ALL SELECT rid FROM fts_queue WHERE cid = ?) AND r.cid = ? AND instr(r.document, ?) > 0`;
const b = `SELECT r.rid FROM (SELECT rowid AS rid FROM fts_sub_1 WHERE fts_sub_1 MATCH ? UNION ALL SELECT rid FROM fts_queue WHERE cid = ?) AS c CROSS JOIN records AS r ON r.rid = c.rid WHERE r.cid = ? AND instr(r.document, ?) > 0`;
const wrapped = (x: string) => `SELECT rid FROM (${x}) ORDER BY rid`;
for (const sql of [a, b, wrapped(a), wrapped(b)]) {
  console.log(db.prepare("EXPLAIN QUERY PLAN " + sql).all('"emp"', 1, 1, "x").map((r: any) => r.detail).join(" | "));
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const n = db.prepare(sql).all('"emp"', 1, 1, " the temperature").length;
    console.log(n, (performance.now() - t).toFixed(2));
  }
}
console.log(db.prepare(`SELECT count(*) FROM fts_sub_1 WHERE fts_sub_1 MATCH ?`).pluck().get('"emp"'));
