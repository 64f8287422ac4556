/** Health: search quality (exact against HNSW recall on a sample), index lag, memory, disk, verify. */
import { call, consolePath, errorText, type CollectionJson } from "./api.js";
import { fill, formatBytes, h } from "./dom.js";

interface Health {
  count: number;
  recall: { k: number; queries: number; queries_from: string; recall: number | null; worst: number | null; ms: number };
  indexing: { num_indexed_ops: number; num_unindexed_ops: number; total_ops: number; op_indexing_progress: number };
  disk: { folder_bytes: number; index_bytes: number };
  memory: { rss: number; heap_used: number; external: number; array_buffers: number };
}

interface Verify {
  ok: boolean;
  problems: string[];
  collections: { id: string; name: string; notes: string[]; sampled: number; found: number }[];
}

export function renderHealth(root: HTMLElement, c: CollectionJson): void {
  const out = h("div", { "data-testid": "health" }, h("p", { class: "muted" }, "Measuring…"));
  const verifyOut = h("div", { "data-testid": "verify" });
  const verify = h("button", {
    "data-testid": "run-verify",
    onclick: () => {
      fill(verifyOut, h("p", { class: "muted" }, "Verifying the folder…"));
      call<Verify>("GET", "/console/api/verify").then(
        (v) => {
          const mine = v.collections.find((x) => x.id === c.id);
          fill(
            verifyOut,
            h("p", { class: v.ok ? "ok" : "error", "data-testid": "verify-status" }, v.ok ? "verify: no problems found" : `verify: ${v.problems.length} problems`),
            v.problems.length > 0 && h("ul", {}, v.problems.map((p) => h("li", {}, p))),
            mine && h("p", {}, `This collection: ${mine.found} of ${mine.sampled} sampled records found by their own vector.`),
            mine && mine.notes.length > 0 && h("ul", { class: "muted" }, mine.notes.map((n) => h("li", {}, n))),
          );
        },
        (err: unknown) => fill(verifyOut, h("p", { class: "error" }, errorText(err))),
      );
    },
  }, "Run verify");
  fill(root, out, h("div", { class: "card" }, h("h3", {}, "Verify the folder"), h("p", { class: "muted" }, "Saves the indexes, then runs the checks of chromalite verify (SQLite integrity, index against records, a self-query sample)."), verify, verifyOut));
  call<Health>("GET", consolePath(c, "health")).then(
    (hl) => {
      const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
      fill(
        out,
        h(
          "div",
          { class: "card" },
          h("h3", {}, "Search quality"),
          h("p", {}, "Recall@", hl.recall.k, " of HNSW against an exact scan, over ", hl.recall.queries, " held-out queries: ", h("b", { "data-testid": "recall" }, pct(hl.recall.recall)), ` (worst query ${pct(hl.recall.worst)}; ${hl.recall.ms} ms).`),
          h("p", { class: "muted", "data-testid": "recall-queries" }, `The queries are ${hl.recall.queries_from}: none is a record itself, which would find itself and flatter the index.`),
          h("p", { class: "muted" }, "Queries answered by chromalite are exact whenever a plan scans exactly; HNSW alone is measured here."),
          h("h3", {}, "Index lag"),
          h("p", { "data-testid": "lag" }, `${hl.indexing.num_unindexed_ops} of ${hl.indexing.total_ops} records waiting for the indexes (${pct(hl.indexing.op_indexing_progress)} indexed).`),
          h("h3", {}, "Disk and memory"),
          h(
            "table",
            { style: "width:auto" },
            h("tr", {}, h("th", {}, "data folder"), h("td", {}, formatBytes(hl.disk.folder_bytes))),
            h("tr", {}, h("th", {}, "this collection's index"), h("td", {}, formatBytes(hl.disk.index_bytes))),
            h("tr", {}, h("th", {}, "server RSS"), h("td", {}, formatBytes(hl.memory.rss))),
            h("tr", {}, h("th", {}, "JS heap used"), h("td", {}, formatBytes(hl.memory.heap_used))),
            h("tr", {}, h("th", {}, "native (indexes, buffers)"), h("td", {}, formatBytes(hl.memory.external))),
          ),
        ),
      );
    },
    (err: unknown) => fill(out, h("p", { class: "error" }, errorText(err))),
  );
}
