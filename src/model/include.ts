/** `include`: which fields a get or query returns, Chroma's defaults, and the columns to read for them. */
import type { Include } from "../types.js";

export const INCLUDE_VALUES: readonly Include[] = ["distances", "documents", "embeddings", "metadatas", "uris"];
/** What `get` returns when `include` is not given. */
export const GET_DEFAULT_INCLUDE: readonly Include[] = ["documents", "metadatas"];
/** What Chroma's server's `query` returns when the request has no `include`. */
export const QUERY_DEFAULT_INCLUDE: readonly Include[] = ["documents", "metadatas", "distances"];
/** What the official client's `query` asks for when the caller gives no `include` (its order, echoed back). */
export const CLIENT_QUERY_DEFAULT_INCLUDE: readonly Include[] = ["metadatas", "documents", "distances"];

/** The record columns a read needs. */
export interface Columns {
  embeddings: boolean;
  documents: boolean;
  metadatas: boolean;
  uris: boolean;
}

export function columnsOf(include: readonly Include[]): Columns {
  return {
    embeddings: include.includes("embeddings"),
    documents: include.includes("documents"),
    metadatas: include.includes("metadatas"),
    uris: include.includes("uris"),
  };
}
