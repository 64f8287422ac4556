/**
 * Building the page from data, always as text: every value goes in through text nodes or
 * attributes set one by one, never through innerHTML, so a document holding markup shows as markup.
 */

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Handler | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else if (key === "value") (el as HTMLInputElement).value = String(value);
    else if (key === "checked") (el as HTMLInputElement).checked = value === true;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function short(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A modal dialog; resolves true when confirmed. `typed`: the confirm button waits for this exact text. */
export function confirmDialog(opts: { title: string; body: string; confirm: string; typed?: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const input = opts.typed === undefined ? null : h("input", { type: "text", "aria-label": "Type to confirm", "data-testid": "confirm-input" });
    const ok = h("button", { class: "danger", "data-testid": "confirm-ok", disabled: opts.typed !== undefined }, opts.confirm);
    const cancel = h("button", { "data-testid": "confirm-cancel" }, "Cancel");
    const dialog = h(
      "dialog",
      { "data-testid": "confirm-dialog" },
      h("h3", {}, opts.title),
      h("p", {}, opts.body),
      input && h("p", {}, "Type ", h("code", {}, opts.typed), " to confirm:"),
      input,
      h("p", {}, ok, " ", cancel),
    );
    input?.addEventListener("input", () => (ok.disabled = input.value !== opts.typed));
    const done = (value: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
    input?.focus();
  });
}

/** A small modal asking for one value. Resolves null when cancelled. */
export function promptDialog(title: string, initial: string): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", value: initial, "data-testid": "prompt-input", "aria-label": title });
    const ok = h("button", { "data-testid": "prompt-ok" }, "OK");
    const cancel = h("button", {}, "Cancel");
    const dialog = h("dialog", { "data-testid": "prompt-dialog" }, h("h3", {}, title), input, h("p", {}, ok, " ", cancel));
    const done = (value: string | null) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    ok.addEventListener("click", () => done(input.value));
    cancel.addEventListener("click", () => done(null));
    dialog.addEventListener("cancel", () => done(null));
    document.body.append(dialog);
    dialog.showModal();
    input.select();
  });
}
