/**
 * Record writes: rows, their metadata index (one tag encoding with filters: model/filter.ts), the
 * full-text queue and the tombstones of the write log. Called inside a write transaction.
 */
import { arrayTag, tagValue } from "../model/filter.js";
import type { Metadata } from "../types.js";
import { encodeEmbedding } from "../util/float32.js";
import type { TextQueue } from "./fulltext/queue.js";
import type { Prepare } from "./fulltext/tables.js";

export interface ExistingRecord {
  rid: number;
  metadata: string | null;
}

export interface RecordFields {
  embedding?: Float32Array | undefined;
  document?: string | null | undefined;
  /** JSON text, or null for "no metadata". */
  metadataJson?: string | null | undefined;
  metadata?: Metadata | null | undefined;
  uri?: string | null | undefined;
}

export class RecordWrites {
  readonly #stmt: Prepare;
  readonly #queue: TextQueue;

  constructor(stmt: Prepare, queue: TextQueue) {
    this.#stmt = stmt;
    this.#queue = queue;
  }

  /** Looks up which of `ids` exist; returns id → rowid and current metadata JSON. */
  lookupIds(cid: number, ids: string[]): Map<string, ExistingRecord> {
    const out = new Map<string, ExistingRecord>();
    const rows = this.#stmt(
      "SELECT rid, id, metadata FROM records WHERE cid = ? AND id IN (SELECT value FROM json_each(?))",
    ).all(cid, JSON.stringify(ids)) as { rid: number; id: string; metadata: string | null }[];
    for (const r of rows) out.set(r.id, { rid: r.rid, metadata: r.metadata });
    return out;
  }

  insertRecord(cid: number, id: string, seq: number, fields: RecordFields & { embedding: Float32Array }): number {
    const info = this.#stmt("INSERT INTO records (cid, id, vector_seq, document, metadata, uri) VALUES (?, ?, ?, ?, ?, ?)").run(
      cid,
      id,
      seq,
      fields.document ?? null,
      fields.metadataJson ?? null,
      fields.uri ?? null,
    );
    const rid = Number(info.lastInsertRowid);
    this.#stmt("INSERT INTO vectors (rid, embedding) VALUES (?, ?)").run(rid, encodeEmbedding(fields.embedding));
    if (fields.metadata) this.#indexMetadata(cid, rid, fields.metadata);
    if (fields.document !== null && fields.document !== undefined) this.#queue.enqueue(cid, rid);
    return rid;
  }

  /** Updates the given fields of a record; `undefined` leaves a field as it is. */
  updateRecord(cid: number, rid: number, seq: number, fields: RecordFields): void {
    if (fields.embedding !== undefined) {
      this.#stmt("UPDATE vectors SET embedding = ? WHERE rid = ?").run(encodeEmbedding(fields.embedding), rid);
      this.#stmt("UPDATE records SET vector_seq = ? WHERE rid = ?").run(seq, rid);
    }
    if (fields.document !== undefined) {
      this.#stmt("UPDATE records SET document = ? WHERE rid = ?").run(fields.document, rid);
      this.#queue.enqueue(cid, rid);
    }
    if (fields.uri !== undefined) this.#stmt("UPDATE records SET uri = ? WHERE rid = ?").run(fields.uri, rid);
    if (fields.metadataJson !== undefined) {
      this.#stmt("UPDATE records SET metadata = ? WHERE rid = ?").run(fields.metadataJson, rid);
      this.#stmt("DELETE FROM record_meta WHERE rid = ?").run(rid);
      if (fields.metadata) this.#indexMetadata(cid, rid, fields.metadata);
    }
  }

  /** Deletes a record (its vector goes with it: schema.ts's trigger). */
  deleteRecord(cid: number, rid: number, seq: number): void {
    this.#stmt("DELETE FROM records WHERE rid = ?").run(rid);
    this.#stmt("DELETE FROM record_meta WHERE rid = ?").run(rid);
    this.#queue.enqueue(cid, rid);
    this.#stmt("INSERT OR IGNORE INTO tombstones (cid, seq, rid) VALUES (?, ?, ?)").run(cid, seq, rid);
  }

  #indexMetadata(cid: number, rid: number, metadata: Metadata): void {
    const insert = this.#stmt("INSERT OR IGNORE INTO record_meta (cid, key, t, v, rid) VALUES (?, ?, ?, ?, ?)");
    for (const [key, value] of Object.entries(metadata)) {
      if (value === null) continue;
      // Validated metadata holds only values tagValue knows.
      if (Array.isArray(value)) {
        for (const item of value) {
          const { tag, value: v } = tagValue(item)!;
          insert.run(cid, key, arrayTag(tag), v, rid);
        }
      } else {
        const { tag, value: v } = tagValue(value)!;
        insert.run(cid, key, tag, v, rid);
      }
    }
  }

  /** Drops tombstones the persisted vector index already reflects. */
  /**
   * Trims the tombstones up to `upToSeq` and records it as the log's floor (store.logFloor): a
   * process whose index is older than the floor can no longer catch up from the log, and reloads.
   */
  trimTombstones(cid: number, upToSeq: number): void {
    const trimmed = this.#stmt("DELETE FROM tombstones WHERE cid = ? AND seq <= ?").run(cid, upToSeq).changes;
    if (trimmed === 0) return; // nothing is missing from the log: the floor stays
    this.#stmt(
      "INSERT INTO store_info (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
    ).run(`log_floor:${cid}`, String(upToSeq));
  }
}
