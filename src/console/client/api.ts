/**
 * Talking to the server: the API (`/api/v2/...`) and the console's own endpoints (`/console/api/...`),
 * with the token the login stored for this tab (sessionStorage: gone when the tab closes).
 */

const TOKEN_KEY = "chromalite.console.token";

export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;
  constructor(status: number, kind: string, message: string) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t !== null) headers["x-chroma-token"] = t;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const err = parsed as { error?: unknown; message?: unknown } | null;
    const message = typeof err?.message === "string" ? err.message : typeof parsed === "string" ? parsed : res.statusText;
    throw new ApiError(res.status, typeof err?.error === "string" ? err.error : "Error", message);
  }
  return parsed as T;
}

/** The text shown for a failed call: Chroma's error name and message, as the API sent them. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.kind} (${err.status}): ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export const enc = encodeURIComponent;

export interface CollectionJson {
  id: string;
  name: string;
  tenant: string;
  database: string;
  metadata: Record<string, unknown> | null;
  configuration_json: { hnsw: Record<string, unknown> & { space: string }; embedding_function: unknown };
  dimension: number | null;
  count: number;
  index_bytes: number;
  /** null: the index is not in memory yet (the catalog does not load it). */
  indexing: IndexingStatus | null;
}

export interface IndexingStatus {
  num_indexed_ops: number;
  num_unindexed_ops: number;
  total_ops: number;
  op_indexing_progress: number;
}

export interface Catalog {
  version: string;
  path: string;
  disk_bytes: number;
  tenants: { name: string; databases: { name: string; collections: CollectionJson[] }[] }[];
}

export function collectionPath(c: { tenant: string; database: string }): string {
  return `/api/v2/tenants/${enc(c.tenant)}/databases/${enc(c.database)}/collections`;
}

export function recordPath(c: CollectionJson, op: string): string {
  return `${collectionPath(c)}/${c.id}/${op}`;
}

export function consolePath(c: CollectionJson, op: string): string {
  return `/console${collectionPath(c)}/${c.id}/${op}`.replace("/console/api/v2/", "/console/api/");
}

export interface GetResult {
  ids: string[];
  documents: (string | null)[] | null;
  metadatas: (Record<string, unknown> | null)[] | null;
  embeddings: number[][] | null;
}
