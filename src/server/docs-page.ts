/**
 * `GET /docs`: one static page that renders /openapi.json in the browser: the endpoints by tag,
 * each with its parameters, request body (schema and example) and responses, and a filter box.
 * Hand-written rather than Swagger UI or Redoc: those are megabytes of assets (swagger-ui-dist is
 * ~10 MB) for an embedded database's dependency list, and they are usually loaded from a CDN, which
 * a machine without internet cannot reach. This page needs nothing but the server.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chromalite API</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fafafa; }
  body { max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
  h1 { margin: 0 0 .25rem; } .muted { color: #666; }
  input#filter { width: 100%; padding: .5rem; font-size: 1rem; margin: 1rem 0; box-sizing: border-box; }
  h2 { border-bottom: 1px solid #ddd; padding-bottom: .25rem; margin-top: 2rem; }
  details.op { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: .4rem 0; }
  details.op > summary { cursor: pointer; padding: .5rem .75rem; display: flex; gap: .75rem; align-items: baseline; }
  .method { font: bold .8rem monospace; padding: .15rem .45rem; border-radius: 4px; color: #fff; min-width: 4rem; text-align: center; }
  .GET { background: #2b6cb0; } .POST { background: #2f855a; } .PUT { background: #b7791f; } .PATCH { background: #6b46c1; } .DELETE { background: #c53030; }
  .path { font-family: monospace; } .sum { color: #444; }
  .body { padding: 0 1rem 1rem; } pre { background: #f3f3f3; padding: .6rem; overflow: auto; border-radius: 4px; font-size: .85rem; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; font-size: .9rem; }
</style>
</head>
<body>
<h1 id="title">chromalite API</h1>
<div class="muted" id="description">Loading /openapi.json …</div>
<p class="muted">The document itself: <a href="/openapi.json">/openapi.json</a></p>
<input id="filter" type="search" placeholder="Filter endpoints (path, method or summary)" aria-label="Filter endpoints">
<main id="ops"></main>
<script>
"use strict";
const el = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};
const pretty = (v) => JSON.stringify(v, null, 2);
function resolve(doc, schema, depth) {
  if (!schema || typeof schema !== "object" || depth > 3) return schema;
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split("/").pop()], depth + 1);
  if (Array.isArray(schema)) return schema.map((s) => resolve(doc, s, depth));
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolve(doc, v, depth + 1)]));
}
function render(doc) {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").textContent = doc.info.description;
  const byTag = new Map(doc.tags.map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) byTag.get(op.tags[0]).push({ path, method: method.toUpperCase(), op });
  }
  const main = document.getElementById("ops");
  for (const [tag, ops] of byTag) {
    const section = el("section", { "data-tag": tag }, el("h2", {}, tag));
    for (const { path, method, op } of ops) {
      const body = el("div", { class: "body" });
      if (op.parameters.length > 0) {
        const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "required")));
        for (const p of op.parameters) table.append(el("tr", {}, el("td", {}, p.name), el("td", {}, p.in), el("td", {}, String(p.required))));
        body.append(el("h4", {}, "Parameters"), table);
      }
      if (op.requestBody) {
        const content = op.requestBody.content["application/json"];
        body.append(el("h4", {}, "Request body"), el("pre", {}, pretty(resolve(doc, content.schema, 0))));
        body.append(el("h4", {}, "Example"), el("pre", {}, pretty(content.example)));
      }
      body.append(el("h4", {}, "Responses"));
      const list = el("ul");
      for (const [status, r] of Object.entries(op.responses)) list.append(el("li", {}, el("b", {}, status), " " + r.description));
      body.append(list);
      const ok = Object.entries(op.responses).find(([s]) => s.startsWith("2"));
      if (ok && ok[1].content) body.append(el("pre", {}, pretty(resolve(doc, ok[1].content["application/json"].schema, 0))));
      if (op.security && op.security.length === 0) body.append(el("p", { class: "muted" }, "Open: no token needed."));
      const summary = el("summary", {}, el("span", { class: "method " + method }, method), el("span", { class: "path" }, path), el("span", { class: "sum" }, op.summary));
      const details = el("details", { class: "op", "data-search": (method + " " + path + " " + op.summary).toLowerCase() }, summary, body);
      section.append(details);
    }
    main.append(section);
  }
  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const d of document.querySelectorAll("details.op")) d.style.display = d.dataset.search.includes(q) ? "" : "none";
  });
  document.body.dataset.ready = "true";
}
fetch("/openapi.json").then((r) => r.json()).then(render, (err) => {
  document.getElementById("description").textContent = "Could not load /openapi.json: " + err;
});
</script>
</body>
</html>
`;
