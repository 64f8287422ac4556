/**
 * The console's entry: login when the server wants a token, then the views, chosen by the URL's
 * hash (`#/` the catalog, `#/c/<collection id>/<records|query|map|health>`). A token in the hash
 * (`#token=...`, what `chromalite console` prints) is stored for the tab and removed from the URL.
 */
import { ApiError, call, errorText, setToken, token, type Catalog, type CollectionJson } from "./api.js";
import { renderCatalog } from "./catalog.js";
import { fill, h } from "./dom.js";
import { renderRecords } from "./records.js";

const app = document.getElementById("app")!;
let catalog: Catalog | undefined;

const TABS = ["records", "query", "map", "health"] as const;

function takeTokenFromUrl(): void {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (m) {
    setToken(decodeURIComponent(m[1]!));
    history.replaceState(null, "", `${location.pathname}#/`);
  }
}

/** True when the API accepts this tab's token (or wants none). */
async function authorised(): Promise<boolean> {
  try {
    await call("GET", "/api/v2/pre-flight-checks");
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return false;
    throw err;
  }
}

function showLogin(message?: string): void {
  const input = h("input", { type: "password", "data-testid": "token", "aria-label": "Token", autocomplete: "current-password", size: 36 });
  const error = h("p", { class: "error", "data-testid": "login-error" }, message ?? "");
  const submit = async (e: Event) => {
    e.preventDefault();
    setToken(input.value);
    if (await authorised()) await start();
    else {
      setToken(null);
      error.textContent = "The server refused this token.";
    }
  };
  fill(
    app,
    h(
      "form",
      { class: "card login", "data-testid": "login", onsubmit: (e: Event) => void submit(e) },
      h("h2", {}, "chromalite console"),
      h("p", {}, "This server needs its token (the one given to chromalite run --auth-token)."),
      input,
      " ",
      h("button", { type: "submit", "data-testid": "login-submit" }, "Sign in"),
      error,
    ),
  );
  input.focus();
}

async function loadCatalog(): Promise<Catalog> {
  catalog = await call<Catalog>("GET", "/console/api/catalog");
  return catalog;
}

function findCollection(id: string): CollectionJson | undefined {
  for (const t of catalog?.tenants ?? []) for (const d of t.databases) for (const c of d.collections) if (c.id === id) return c;
  return undefined;
}

function layout(content: HTMLElement): void {
  fill(
    app,
    h(
      "header",
      {},
      h("a", { href: "#/", class: "brand", style: "color:#fff;text-decoration:none" }, "chromalite console"),
      h("span", { class: "muted" }, catalog ? catalog.path : ""),
      h("span", { class: "spacer" }),
      h("a", { href: "/docs", target: "_blank" }, "API docs"),
      token() !== null && h("button", { "data-testid": "logout", onclick: () => (setToken(null), showLogin()) }, "Sign out"),
    ),
    h("main", {}, content),
  );
}

async function route(): Promise<void> {
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(search ?? "");
  const parts = (path ?? "").split("/").filter(Boolean);
  const content = h("div", { "data-testid": "view" });
  layout(content);
  try {
    if (parts[0] !== "c") {
      await loadCatalog();
      layout(content);
      const host = {
        catalog: catalog!,
        reload: async () => {
          host.catalog = await loadCatalog();
          renderCatalog(content, host);
        },
        open: (c: CollectionJson, tab: string) => (location.hash = `#/c/${c.id}/${tab}`),
      };
      renderCatalog(content, host);
      return;
    }
    const id = parts[1] ?? "";
    const tab = (TABS as readonly string[]).includes(parts[2] ?? "") ? parts[2]! : "records";
    await loadCatalog();
    const c = findCollection(id);
    layout(content);
    if (!c) {
      fill(content, h("p", { class: "error" }, `No collection ${id}.`), h("a", { href: "#/" }, "Back to the catalog"));
      return;
    }
    const body = h("div", {});
    fill(
      content,
      h("h2", { "data-testid": "collection-title" }, c.name, h("span", { class: "muted" }, ` — ${c.tenant} / ${c.database} — ${c.count.toLocaleString("en")} records, dimension ${c.dimension ?? "—"}, ${c.configuration_json.hnsw.space}`)),
      h("nav", { class: "tabs" }, h("a", { href: "#/" }, "← catalog"), TABS.map((t) => h("a", { href: `#/c/${c.id}/${t}`, class: t === tab ? "active" : "", "data-testid": `tab-${t}` }, t))),
      body,
    );
    const openRecord = (rid: string) => (location.hash = `#/c/${c.id}/records?id=${encodeURIComponent(rid)}`);
    if (tab === "records") {
      const only = params.get("id");
      renderRecords(body, c, { findSimilar: (col, rid) => (location.hash = `#/c/${col.id}/query?record=${encodeURIComponent(rid)}`), changed: () => void loadCatalog() }, only === null ? {} : { ids: [only] });
    } else if (tab === "query") {
      // The other views' code is loaded when first opened: the first view needs none of it.
      const rec = params.get("record");
      (await import("./query.js")).renderQuery(body, c, rec === null ? {} : { recordId: rec }, openRecord);
    } else if (tab === "map") (await import("./map.js")).renderMap(body, c, openRecord);
    else (await import("./health.js")).renderHealth(body, c);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) showLogin(token() === null ? undefined : "Your token is no longer accepted.");
    else fill(content, h("p", { class: "error" }, errorText(err)));
  }
  document.body.dataset.ready = "true";
}

async function start(): Promise<void> {
  window.onhashchange = () => void route();
  await route();
}

async function boot(): Promise<void> {
  takeTokenFromUrl();
  // The first view's own call says whether the token is needed (401) or wrong (403): no separate
  // check first, which would cost a round trip before anything is drawn.
  await start();
  document.body.dataset.ready = "true";
}

void boot();
