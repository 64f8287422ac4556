/**
 * Records of a collection, a page at a time through the API's `get` (limit and offset: the server
 * reads that page only); filters; a record's detail with an embedding preview; editing its document
 * and metadata (`update`) and deleting it (`delete`).
 */
import { call, errorText, recordPath, type CollectionJson, type GetResult } from "./api.js";
import { confirmDialog, fill, h, short } from "./dom.js";
import { filterEditors } from "./filters.js";

export interface RecordsHost {
  findSimilar(c: CollectionJson, id: string): void;
  changed(): void;
}

const PAGE_SIZES = [25, 50, 100, 500];

function metadataUpdate(before: Record<string, unknown> | null, after: Record<string, unknown>): Record<string, unknown> {
  // Chroma's update merges key by key: a key the editor removed is deleted with null.
  const out: Record<string, unknown> = { ...after };
  for (const key of Object.keys(before ?? {})) if (!(key in after)) out[key] = null;
  return out;
}

export function renderRecords(root: HTMLElement, c: CollectionJson, host: RecordsHost, initial?: { ids?: string[] }): void {
  let offset = 0;
  let limit = 25;
  let onlyIds = initial?.ids;
  const filters = filterEditors("records");
  const status = h("span", { class: "muted", "data-testid": "page-status" });
  const table = h("div", { "data-testid": "records-table" });
  const detail = h("div", { "data-testid": "record-detail" });
  const prev = h("button", { "data-testid": "prev", onclick: () => void load(Math.max(0, offset - limit)) }, "◀ Previous");
  const next = h("button", { "data-testid": "next", onclick: () => void load(offset + limit) }, "Next ▶");
  const size = h(
    "select",
    { "aria-label": "Page size", onchange: () => ((limit = Number(size.value)), void load(0)) },
    ...PAGE_SIZES.map((n) => h("option", { value: n }, `${n} per page`)),
  );
  const apply = h("button", { "data-testid": "apply-filters", onclick: () => ((onlyIds = undefined), void load(0)) }, "Apply filters");

  async function load(at: number): Promise<void> {
    let f: { where?: unknown; whereDocument?: unknown };
    try {
      f = filters.read();
    } catch (err) {
      filters.showError(errorText(err));
      return;
    }
    const body: Record<string, unknown> = { limit, offset: at, include: ["documents", "metadatas"] };
    if (f.where !== undefined) body.where = f.where;
    if (f.whereDocument !== undefined) body.where_document = f.whereDocument;
    if (onlyIds) body.ids = onlyIds;
    let page: GetResult;
    try {
      page = await call<GetResult>("POST", recordPath(c, "get"), body);
    } catch (err) {
      filters.showError(errorText(err));
      return;
    }
    offset = at;
    const filtered = f.where !== undefined || f.whereDocument !== undefined || onlyIds !== undefined;
    const last = offset + page.ids.length;
    status.textContent =
      page.ids.length === 0
        ? `no records${filtered ? " match" : ""} from ${offset + 1}`
        : `records ${offset + 1}–${last}${filtered ? " (filtered)" : ` of ${c.count.toLocaleString("en")}`}`;
    prev.disabled = offset === 0;
    next.disabled = page.ids.length < limit;
    fill(
      table,
      h(
        "table",
        {},
        h("tr", {}, h("th", {}, "id"), h("th", {}, "document"), h("th", {}, "metadata")),
        page.ids.map((id, i) =>
          h(
            "tr",
            { class: "clickable", "data-testid": "record-row", "data-id": id, onclick: () => void showDetail(id) },
            h("td", { class: "mono" }, id),
            h("td", { class: "truncate" }, short(page.documents?.[i] ?? "", 200)),
            h("td", { class: "mono truncate" }, short(JSON.stringify(page.metadatas?.[i] ?? null), 200)),
          ),
        ),
      ),
    );
  }

  async function showDetail(id: string): Promise<void> {
    let r: GetResult;
    try {
      r = await call<GetResult>("POST", recordPath(c, "get"), { ids: [id], include: ["documents", "metadatas", "embeddings"] });
    } catch (err) {
      fill(detail, h("p", { class: "error" }, errorText(err)));
      return;
    }
    if (r.ids.length === 0) {
      fill(detail, h("p", { class: "error" }, `Record ${id} no longer exists`));
      return;
    }
    const metadata = r.metadatas?.[0] ?? null;
    const embedding = r.embeddings?.[0] ?? null;
    const doc = h("textarea", { "data-testid": "detail-document", rows: 5, "aria-label": "Document", value: r.documents?.[0] ?? "" });
    const meta = h("textarea", { "data-testid": "detail-metadata", rows: 5, "aria-label": "Metadata", spellcheck: "false", value: JSON.stringify(metadata ?? {}, null, 2) });
    const message = h("div", { "data-testid": "detail-message" });
    const norm = embedding ? Math.sqrt(embedding.reduce((s, x) => s + x * x, 0)) : 0;
    const save = async () => {
      message.className = "error";
      let parsed: unknown;
      try {
        parsed = JSON.parse(meta.value);
      } catch (err) {
        message.textContent = `metadata: not valid JSON: ${errorText(err)}`;
        return;
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        message.textContent = "metadata: expected a JSON object";
        return;
      }
      try {
        await call("POST", recordPath(c, "update"), { ids: [id], documents: [doc.value], metadatas: [metadataUpdate(metadata, parsed as Record<string, unknown>)] });
      } catch (err) {
        message.textContent = errorText(err);
        return;
      }
      message.className = "ok";
      message.textContent = "Saved.";
      await load(offset);
    };
    const remove = async () => {
      const yes = await confirmDialog({ title: "Delete a record", body: `Delete the record ${id} from ${c.name}?`, confirm: "Delete record" });
      if (!yes) return;
      try {
        await call("POST", recordPath(c, "delete"), { ids: [id] });
      } catch (err) {
        message.className = "error";
        message.textContent = errorText(err);
        return;
      }
      fill(detail, h("p", { class: "ok" }, `Deleted ${id}.`));
      host.changed();
      await load(offset);
    };
    fill(
      detail,
      h(
        "div",
        { class: "card" },
        h("h3", {}, "Record ", h("code", { "data-testid": "detail-id" }, id)),
        h("label", {}, "document"),
        doc,
        h("label", {}, "metadata (JSON; a removed key is deleted)"),
        meta,
        h(
          "p",
          { class: "mono", "data-testid": "embedding-preview" },
          embedding
            ? `embedding: ${embedding.length} dimensions, norm ${norm.toFixed(4)}, [${embedding.slice(0, 8).map((x) => x.toFixed(4)).join(", ")}${embedding.length > 8 ? ", …" : ""}]`
            : "no embedding",
        ),
        h(
          "p",
          {},
          h("button", { "data-testid": "save-record", onclick: () => void save() }, "Save document and metadata"),
          " ",
          h("button", { "data-testid": "find-similar", onclick: () => host.findSimilar(c, id) }, "Find similar"),
          " ",
          h("button", { class: "danger", "data-testid": "delete-record", onclick: () => void remove() }, "Delete record"),
        ),
        message,
      ),
    );
  }

  fill(
    root,
    h("div", { class: "card" }, filters.element, h("p", {}, apply, " ", size, " ", prev, " ", next, " ", status)),
    h("div", { class: "row" }, h("div", { class: "grow" }, table), h("div", { class: "grow" }, detail)),
  );
  void load(0);
}
