/**
 * Queries: by a pasted vector, by a record ("find similar") or by text (BM25 through the Search
 * API), with the chosen `include`, the results, the plan the engine chose (explain: for BM25, each
 * query term's part of each hit's score) and the official client's code for the same query.
 */
import { call, consolePath, errorText, recordPath, type CollectionJson, type GetResult } from "./api.js";
import { fill, h, short } from "./dom.js";
import { filterEditors } from "./filters.js";
import { querySnippet, type QuerySpec } from "./snippet.js";

interface QueryResult {
  ids: string[][];
  distances: number[][] | null;
  documents: (string | null)[][] | null;
  metadatas: (Record<string, unknown> | null)[][] | null;
}

interface Plan {
  plan: string;
  searchable: number;
  allowed: number | null;
  candidates: number;
  ef: number | null;
  estimatedMatches: number | null;
  reason: string;
}

interface Explained {
  result: QueryResult;
  plans: Plan[];
  ms: number;
  clauses: { clause: string; matched: string[] }[];
}

interface SearchResponse {
  ids: string[][];
  documents: (string | null)[][] | null;
  metadatas: (Record<string, unknown> | null)[][] | null;
  scores: (number | null)[][] | null;
}

/** `search/explain`'s answer: the search's result, and per hit what each Knn gave it. */
interface SearchExplained {
  result: SearchResponse;
  explains: { hits: { id: string; score: number | null; knns: { knn: number; key: string; rank: number; score: number; terms?: { id: number; term: string | null; score: number }[] }[] }[] }[];
  clauses: { clause: string; matched: string[] }[][];
  ms: number;
}

const INCLUDES = ["documents", "metadatas", "distances", "embeddings", "uris"];

export function renderQuery(root: HTMLElement, c: CollectionJson, initial: { recordId?: string }, openRecord: (id: string) => void): void {
  const mode = h("select", { "data-testid": "query-mode", "aria-label": "Query by" }, h("option", { value: "vector" }, "a pasted vector"), h("option", { value: "record" }, "a record (find similar)"), h("option", { value: "text" }, "text (BM25)"), h("option", { value: "embed" }, "text (the collection's embedding function)"));
  const vector = h("textarea", { "data-testid": "query-vector", placeholder: "[0.1, 0.2, …]", "aria-label": "Query vector", spellcheck: "false" });
  const recordId = h("input", { type: "text", "data-testid": "query-record", placeholder: "record id", "aria-label": "Record id" });
  const text = h("input", { type: "text", "data-testid": "query-text", placeholder: "words to rank by BM25", "aria-label": "Query text", size: 50 });
  const n = h("input", { type: "number", min: 1, value: 10, "data-testid": "n-results", "aria-label": "nResults", style: "width:5rem" });
  const includes = INCLUDES.map((name) => h("input", { type: "checkbox", value: name, checked: name !== "embeddings" && name !== "uris", "aria-label": name }));
  const filters = filterEditors("query");
  const results = h("div", { "data-testid": "query-results" });
  const explain = h("div", { "data-testid": "explain" });
  const snippet = h("pre", { "data-testid": "snippet" });
  const copy = h("button", { onclick: () => void navigator.clipboard?.writeText(snippet.textContent ?? "") }, "Copy");
  const inputs = h("div", {});
  const showInputs = () => fill(inputs, mode.value === "vector" ? vector : mode.value === "record" ? recordId : text);
  if (!c.configuration_json.embedding_function) mode.querySelector("option[value=embed]")?.setAttribute("disabled", "");
  mode.addEventListener("change", showInputs);
  if (initial.recordId !== undefined) {
    mode.value = "record";
    recordId.value = initial.recordId;
  }
  showInputs();

  async function runQuery(): Promise<void> {
    fill(results);
    fill(explain);
    let f: { where?: unknown; whereDocument?: unknown };
    let spec: QuerySpec;
    try {
      f = filters.read();
      const include = includes.filter((i) => i.checked).map((i) => i.value);
      spec = { mode: mode.value as QuerySpec["mode"], nResults: Number(n.value) || 10, include, ...f };
      if (spec.mode === "vector") {
        const parsed = JSON.parse(vector.value || "null") as unknown;
        if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "number")) throw new Error("vector: expected a JSON array of numbers");
        spec.vector = parsed;
      } else if (spec.mode === "record") spec.recordId = recordId.value;
      else spec.text = text.value;
    } catch (err) {
      filters.showError(errorText(err));
      return;
    }
    snippet.textContent = querySnippet(c, spec);
    try {
      if (spec.mode === "text") await textQuery(spec);
      else await vectorQuery(spec);
    } catch (err) {
      filters.showError(errorText(err));
    }
  }

  async function vectorQuery(spec: QuerySpec): Promise<void> {
    let embedding = spec.vector;
    if (spec.mode === "embed") {
      const out = await call<{ embeddings: number[][] }>("POST", consolePath(c, "embed"), { texts: [spec.text ?? ""] });
      embedding = out.embeddings[0];
    }
    if (spec.mode === "record") {
      const got = await call<GetResult>("POST", recordPath(c, "get"), { ids: [spec.recordId], include: ["embeddings"] });
      const e = got.embeddings?.[0];
      if (!e) throw new Error(`record ${spec.recordId ?? ""}: no such record, or it has no embedding`);
      embedding = e;
    }
    const body: Record<string, unknown> = { query_embeddings: [embedding], n_results: spec.nResults, include: spec.include };
    if (spec.where !== undefined) body.where = spec.where;
    if (spec.whereDocument !== undefined) body.where_document = spec.whereDocument;
    const out = await call<Explained>("POST", consolePath(c, "explain"), body);
    const r = out.result;
    const ids = r.ids[0] ?? [];
    fill(
      results,
      h(
        "table",
        {},
        h("tr", {}, h("th", {}, "#"), h("th", {}, "id"), h("th", {}, "distance"), h("th", {}, "document"), h("th", {}, "metadata"), out.clauses.map((cl) => h("th", { class: "mono" }, short(cl.clause, 40)))),
        ids.map((id, i) =>
          h(
            "tr",
            { class: "clickable", "data-testid": "hit", "data-id": id, onclick: () => openRecord(id) },
            h("td", {}, i + 1),
            h("td", { class: "mono" }, id),
            h("td", { class: "mono", "data-testid": "distance" }, r.distances?.[0]?.[i]?.toFixed(6) ?? ""),
            h("td", { class: "truncate" }, short(r.documents?.[0]?.[i] ?? "", 160)),
            h("td", { class: "mono truncate" }, r.metadatas ? short(JSON.stringify(r.metadatas[0]?.[i] ?? null), 120) : ""),
            out.clauses.map((cl) => h("td", {}, cl.matched.includes(id) ? "✓ matched" : "✗")),
          ),
        ),
      ),
    );
    const p = out.plans[0];
    if (p) {
      fill(
        explain,
        h(
          "div",
          { class: "card" },
          h("h3", {}, "Explain"),
          h("div", { class: "plan", "data-testid": "plan" }, p.plan),
          h("p", { "data-testid": "plan-reason" }, p.reason),
          h(
            "table",
            { style: "width:auto" },
            h("tr", {}, h("th", {}, "vectors searchable"), h("td", {}, p.searchable)),
            h("tr", {}, h("th", {}, "records the filters allow"), h("td", {}, p.allowed ?? "not computed (no filter, or not needed)")),
            h("tr", {}, h("th", {}, "candidates considered"), h("td", { "data-testid": "candidates" }, p.candidates)),
            h("tr", {}, h("th", {}, "HNSW width (ef)"), h("td", {}, p.ef ?? "—")),
            p.estimatedMatches !== null && h("tr", {}, h("th", {}, "estimated document matches"), h("td", {}, p.estimatedMatches)),
            h("tr", {}, h("th", {}, "time"), h("td", {}, `${out.ms} ms`)),
          ),
        ),
      );
    }
  }

  async function textQuery(spec: QuerySpec): Promise<void> {
    const sparse = await call<{ tokens: string[] }>("POST", "/console/api/bm25", { text: spec.text ?? "" });
    let where = spec.where;
    if (spec.whereDocument !== undefined) where = where === undefined ? { "#document": spec.whereDocument } : { $and: [where, { "#document": spec.whereDocument }] };
    // The text itself as the Knn's query (the server makes chroma_bm25's terms of it, as the official
    // client does), so that explain can name each term of a hit's score.
    const search: Record<string, unknown> = {
      rank: { $knn: { query: spec.text ?? "", key: "#document", limit: Math.max(16, spec.nResults) } },
      limit: { limit: spec.nResults, offset: 0 },
      select: { keys: ["#document", "#score", "#metadata"] },
    };
    if (where !== undefined) search.filter = where;
    const out = await call<SearchExplained>("POST", consolePath(c, "search/explain"), { searches: [search] });
    const r = out.result;
    const ids = r.ids[0] ?? [];
    const docs = r.documents?.[0] ?? [];
    const hits = out.explains[0]?.hits ?? [];
    const clauses = out.clauses[0] ?? [];
    fill(
      results,
      h(
        "table",
        {},
        h("tr", {}, h("th", {}, "#"), h("th", {}, "id"), h("th", {}, "BM25 score"), h("th", {}, "per query term (its part of the score)"), h("th", {}, "document"), clauses.map((cl) => h("th", { class: "mono" }, short(cl.clause, 40)))),
        ids.map((id, i) =>
          h(
            "tr",
            { class: "clickable", "data-testid": "hit", "data-id": id, onclick: () => openRecord(id) },
            h("td", {}, i + 1),
            h("td", { class: "mono" }, id),
            h("td", { class: "mono", "data-testid": "score" }, r.scores?.[0]?.[i]?.toFixed(4) ?? ""),
            h(
              "td",
              { class: "mono", "data-testid": "terms" },
              (hits[i]?.knns.find((k) => k.key === "#document")?.terms ?? []).flatMap((t, j) => [j > 0 && ", ", h("span", { "data-testid": "term" }, `${t.term ?? `#${t.id}`} ${t.score.toFixed(4)}`)]),
            ),
            h("td", { class: "truncate" }, short(docs[i] ?? "", 160)),
            clauses.map((cl) => h("td", {}, cl.matched.includes(id) ? "✓ matched" : "✗")),
          ),
        ),
      ),
    );
    fill(
      explain,
      h(
        "div",
        { class: "card" },
        h("h3", {}, "Explain"),
        h("div", { class: "plan", "data-testid": "plan" }, "bm25"),
        h("p", {}, `BM25 over the documents' word index, terms of chroma_bm25 (stopwords removed, Snowball stems): ${sparse.tokens.join(" ") || "(no terms)"}`),
        h("p", { class: "muted" }, `A hit's score is FTS5's bm25() (lower is better): the sum of its query terms' parts, shown per hit. ${out.ms} ms.`),
      ),
    );
  }

  fill(
    root,
    h(
      "div",
      { class: "card" },
      h("p", {}, "Query by ", mode, " nResults ", n, " include ", includes.map((i) => h("label", {}, i, ` ${i.value}`))),
      inputs,
      filters.element,
      h("p", {}, h("button", { "data-testid": "run-query", onclick: () => void runQuery() }, "Run query")),
    ),
    results,
    explain,
    h("h3", {}, "The same query with the official client ", copy),
    snippet,
  );
  if (initial.recordId !== undefined) void runQuery();
}
