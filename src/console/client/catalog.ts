/** The catalog: tenants, databases and collections, with create, rename and delete. */
import { call, collectionPath, errorText, type Catalog, type CollectionJson, type IndexingStatus } from "./api.js";
import { confirmDialog, fill, formatBytes, h, promptDialog, short } from "./dom.js";

export interface CatalogHost {
  catalog: Catalog;
  reload(): Promise<void>;
  open(c: CollectionJson, tab: string): void;
}

function statusText(s: IndexingStatus): Node | string {
  return s.num_unindexed_ops === 0 ? h("span", { class: "ok" }, "indexed") : `${Math.round(s.op_indexing_progress * 100)}% (${s.num_unindexed_ops} pending)`;
}

/** The status if the index is in memory; else a button that asks (which loads the index). */
function indexingCell(c: CollectionJson): HTMLElement {
  const cell = h("td", { "data-testid": "indexing" });
  const ask = () => {
    fill(cell, "…");
    call<IndexingStatus>("GET", `${collectionPath(c)}/${c.id}/indexing_status`).then(
      (s) => fill(cell, statusText(s)),
      (err: unknown) => fill(cell, h("span", { class: "error" }, errorText(err))),
    );
  };
  if (c.indexing) fill(cell, statusText(c.indexing));
  else fill(cell, h("span", { class: "muted" }, "not loaded "), h("button", { "data-testid": "load-index", title: "Loads the collection's index into memory", onclick: ask }, "load"));
  return cell;
}

export function renderCatalog(root: HTMLElement, host: CatalogHost): void {
  const message = h("div", { class: "error", "data-testid": "catalog-error" });
  const act = async (fn: () => Promise<unknown>) => {
    message.textContent = "";
    try {
      await fn();
      await host.reload();
    } catch (err) {
      message.textContent = errorText(err);
    }
  };
  const sections: HTMLElement[] = [];
  for (const tenant of host.catalog.tenants) {
    for (const db of tenant.databases) {
      const scope = { tenant: tenant.name, database: db.name };
      const rows = db.collections.map((c) => {
        const space = c.configuration_json.hnsw.space;
        return h(
          "tr",
          { "data-testid": "collection-row", "data-name": c.name },
          h("td", {}, h("a", { href: `#/c/${c.id}/records`, "data-testid": "collection-link" }, c.name), h("div", { class: "muted mono" }, c.id)),
          h("td", { "data-testid": "count" }, c.count.toLocaleString("en")),
          h("td", {}, c.dimension ?? "—"),
          h("td", {}, space),
          h("td", {}, h("details", {}, h("summary", {}, "hnsw"), h("pre", {}, JSON.stringify(c.configuration_json.hnsw, null, 1)))),
          h("td", {}, c.configuration_json.embedding_function ? short(JSON.stringify(c.configuration_json.embedding_function), 60) : "none"),
          indexingCell(c),
          h("td", {}, formatBytes(c.index_bytes)),
          h("td", {}, c.metadata ? h("span", { class: "mono" }, short(JSON.stringify(c.metadata), 60)) : ""),
          h(
            "td",
            {},
            h("button", {
              "data-testid": "rename",
              onclick: () =>
                void promptDialog(`Rename ${c.name} to`, c.name).then((name) => {
                  if (name !== null && name !== c.name) void act(() => call("PUT", `${collectionPath(c)}/${c.id}`, { new_name: name }));
                }),
            }, "Rename"),
            " ",
            h("button", {
              class: "danger",
              "data-testid": "delete",
              onclick: () =>
                void confirmDialog({
                  title: "Delete a collection",
                  body: `This deletes ${c.name} and its ${c.count} records.`,
                  confirm: "Delete",
                  typed: c.name,
                }).then((yes) => {
                  if (yes) void act(() => call("DELETE", `${collectionPath(c)}/${encodeURIComponent(c.name)}`));
                }),
            }, "Delete"),
          ),
        );
      });
      const name = h("input", { type: "text", placeholder: "new collection name", "data-testid": "new-name", "aria-label": "New collection name" });
      const space = h("select", { "data-testid": "new-space", "aria-label": "Space" }, ...["l2", "cosine", "ip"].map((s) => h("option", { value: s }, s)));
      const create = h("button", {
        "data-testid": "create",
        onclick: () =>
          void act(() => call("POST", collectionPath(scope), { name: name.value, configuration: { hnsw: { space: space.value } } })),
      }, "Create collection");
      sections.push(
        h(
          "section",
          { class: "card", "data-testid": "database", "data-tenant": tenant.name, "data-database": db.name },
          h("h3", {}, `${tenant.name} / ${db.name}`, h("span", { class: "muted" }, ` — ${db.collections.length} collections`)),
          h(
            "table",
            {},
            h("tr", {}, ...["collection", "records", "dimension", "space", "configuration", "embedding function", "indexing", "index on disk", "metadata", ""].map((t) => h("th", {}, t))),
            rows,
          ),
          h("p", {}, name, " ", space, " ", create),
        ),
      );
    }
  }
  const tenantName = h("input", { type: "text", placeholder: "tenant", "aria-label": "Tenant" });
  const dbName = h("input", { type: "text", placeholder: "database", "aria-label": "Database" });
  fill(
    root,
    h("h2", {}, "Catalog"),
    h("p", { class: "muted" }, `Folder ${host.catalog.path} — ${formatBytes(host.catalog.disk_bytes)} on disk — chromalite ${host.catalog.version}`),
    message,
    sections,
    h(
      "p",
      { class: "card" },
      "New database: ",
      tenantName,
      " ",
      dbName,
      " ",
      h("button", {
        onclick: () =>
          void act(async () => {
            const tenants = host.catalog.tenants.map((t) => t.name);
            if (!tenants.includes(tenantName.value)) await call("POST", "/api/v2/tenants", { name: tenantName.value });
            await call("POST", `/api/v2/tenants/${encodeURIComponent(tenantName.value)}/databases`, { name: dbName.value });
          }),
      }, "Create"),
    ),
  );
}
