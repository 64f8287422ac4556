/**
 * Record reads through the read-only connection: whole records by rowid or page (query results,
 * `get`, export) and the write log's newer vectors and tombstones (index rebuilds and catch-up).
 * Reached as `store.reads`, beside `store.records` (the writes).
 */
import type Database from "better-sqlite3";
import type { Columns } from "../model/include.js";
import type { RecordRow } from "../model/records.js";
import type { Metadata } from "../types.js";
import { decodeEmbedding } from "../util/float32.js";
import { parseJson } from "./catalog-tables.js";

/** Records `r` with their vectors `v`; CROSS JOIN keeps records the outer loop (vectors has no cid). */
const WITH_VECTORS = "FROM records r CROSS JOIN vectors v ON v.rid = r.rid";

export class RecordReads {
  readonly #read: (sql: string) => Database.Statement;

  constructor(read: (sql: string) => Database.Statement) {
    this.#read = read;
  }

  #selectColumns(columns: Columns): string {
    return [
      "rid",
      "id",
      columns.embeddings ? "(SELECT embedding FROM vectors v WHERE v.rid = records.rid) AS embedding" : "NULL AS embedding",
      columns.documents ? "document" : "NULL AS document",
      // Chroma keeps a uri as a metadata key, so a record with a uri and no metadata has metadata {} there.
      columns.metadatas ? "CASE WHEN metadata IS NULL AND uri IS NOT NULL THEN '{}' ELSE metadata END AS metadata" : "NULL AS metadata",
      columns.uris ? "uri" : "NULL AS uri",
    ].join(", ");
  }

  /** A record from a raw row of #selectColumns (rid, id, embedding, document, metadata, uri). */
  #recordFromRow([rid, id, embedding, document, metadata, uri]: unknown[]): RecordRow {
    return {
      rid: rid as number,
      id: id as string,
      embedding: embedding ? decodeEmbedding(embedding as Buffer) : null,
      document: (document as string | null) ?? null,
      metadata: parseJson<Metadata>(metadata),
      uri: (uri as string | null) ?? null,
    };
  }

  /** A page of a collection's records in insertion order. */
  pageRecords(cid: number, columns: Columns, limit: number, offset: number): RecordRow[] {
    return (
      this.#read(`SELECT ${this.#selectColumns(columns)} FROM records WHERE cid = ? ORDER BY rid LIMIT ? OFFSET ?`)
        .raw(true)
        .all(cid, limit, offset) as unknown[][]
    ).map((r) => this.#recordFromRow(r));
  }

  /** Records by rowid, in the order given. Rowids that no longer exist are skipped. */
  recordsByRid(rids: readonly number[], columns: Columns): RecordRow[] {
    if (rids.length === 0) return [];
    // Small sets (query results) bind one parameter per rowid: cheaper than building and parsing JSON.
    // Rows come back as arrays (raw mode), which saves building an object per row.
    const rows = (
      rids.length <= 64
        ? this.#read(`SELECT ${this.#selectColumns(columns)} FROM records WHERE rid IN (${"?,".repeat(rids.length - 1)}?)`)
            .raw(true)
            .all(...rids)
        : this.#read(`SELECT ${this.#selectColumns(columns)} FROM records WHERE rid IN (SELECT value FROM json_each(?))`)
            .raw(true)
            .all(JSON.stringify(rids))
    ) as unknown[][];
    const byRid = new Map<number, RecordRow>();
    for (const row of rows) byRid.set(row[0] as number, this.#recordFromRow(row));
    const out: RecordRow[] = [];
    for (const rid of rids) {
      const rec = byRid.get(rid);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Keyset page of (rid, vector_seq, embedding) after `afterRid`, for index rebuilds and catch-up. */
  embeddingPage(cid: number, afterRid: number, limit: number, minSeqExclusive = -1): [number, number, Float32Array][] {
    const rows = this.#read(
      `SELECT r.rid, r.vector_seq, v.embedding ${WITH_VECTORS} WHERE r.cid = ? AND r.rid > ? AND r.vector_seq > ? ORDER BY r.rid LIMIT ?`,
    )
      .raw()
      .all(cid, afterRid, minSeqExclusive, limit) as [number, number, Buffer][];
    return rows.map(([rid, seq, blob]) => [rid, seq, decodeEmbedding(blob)]);
  }

  /** Number of records whose vector was last written at or before `seq`. */
  countVectorsUpTo(cid: number, seq: number): number {
    return this.#read("SELECT count(*) FROM records WHERE cid = ? AND vector_seq <= ?").pluck().get(cid, seq) as number;
  }

  /**
   * Keyset page of (rid, vector_seq, embedding) written after `afterSeq`, in (vector_seq, rid) order
   * from `from` on (exclusive): catch-up through the (cid, vector_seq) index, in time proportional to
   * what changed, not to the collection (embeddingPage's rid order would scan every record).
   */
  vectorsAfter(cid: number, afterSeq: number, from: [seq: number, rid: number], limit: number): [number, number, Float32Array][] {
    const [seq, rid] = from[0] > afterSeq ? from : [afterSeq, Number.MAX_SAFE_INTEGER];
    const rows = this.#read(
      `SELECT r.rid, r.vector_seq, v.embedding ${WITH_VECTORS} WHERE r.cid = ? AND (r.vector_seq, r.rid) > (?, ?) ORDER BY r.vector_seq, r.rid LIMIT ?`,
    )
      .raw()
      .all(cid, seq, rid, limit) as [number, number, Buffer][];
    return rows.map(([r, s, blob]) => [r, s, decodeEmbedding(blob)]);
  }

  /** Rowids deleted after `seq` (tombstones newer than the persisted index). */
  tombstonesAfter(cid: number, seq: number): number[] {
    return this.#read("SELECT rid FROM tombstones WHERE cid = ? AND seq > ? ORDER BY seq").pluck().all(cid, seq) as number[];
  }
}
