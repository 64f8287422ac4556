/** The `where` and `whereDocument` editors: JSON text areas whose errors show next to them. */
import { h } from "./dom.js";

export interface FilterEditors {
  element: HTMLElement;
  /** The filters, or throws with a message naming the editor. */
  read(): { where?: unknown; whereDocument?: unknown };
  /** Shows an error (Chroma's, from the server, or a JSON one) under the editors. */
  showError(text: string): void;
  set(where: string, whereDocument: string): void;
}

function parse(label: string, text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${label}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function filterEditors(prefix: string): FilterEditors {
  const where = h("textarea", { "data-testid": `${prefix}-where`, placeholder: '{"kind": "fruit"}', "aria-label": "where", spellcheck: "false" });
  const whereDocument = h("textarea", { "data-testid": `${prefix}-where-document`, placeholder: '{"$contains": "apple"}', "aria-label": "whereDocument", spellcheck: "false" });
  const error = h("div", { class: "error", "data-testid": `${prefix}-filter-error`, role: "alert" });
  return {
    element: h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, h("label", {}, "where (metadata)"), where),
      h("div", { class: "grow" }, h("label", {}, "whereDocument"), whereDocument),
      h("div", { style: "flex-basis:100%" }, error),
    ),
    read() {
      error.textContent = "";
      return { where: parse("where", where.value), whereDocument: parse("whereDocument", whereDocument.value) };
    },
    showError(text) {
      error.textContent = text;
    },
    set(w, d) {
      where.value = w;
      whereDocument.value = d;
    },
  };
}
