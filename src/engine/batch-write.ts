/**
 * One record batch (add, upsert or update) written into the open write transaction, with Chroma's
 * rules: `add` keeps existing records, `update` ignores missing ids, upserts and updates merge
 * metadata key by key. What it returns is applied in memory by the engine once the batch commits.
 */
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import { dropNulls, mergeMetadata, type RecordBatch, type WriteKind } from "../model/records.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { forEachChunked, type OperationScope } from "../util/abort.js";
import type { CollectionState, VectorChange } from "./collection-state.js";
import { stringifyExact } from "../model/numbers.js";

/** What a batch did, record by record (a batch may name an id twice: each occurrence counts). */
export interface WriteCounts {
  /** New records. */
  added: number;
  /** Existing records changed (upsert, update). */
  updated: number;
  /** Ids left as they were: existing ones in an `add` (Chroma keeps them), missing ones in an `update`. */
  skipped: number;
}

export interface WrittenBatch {
  counts: WriteCounts;
  /** The batch's sequence number in the collection's write log. */
  seq: number;
  /** The log's position before the batch (seq - 1): memory in step with it can apply `changes`. */
  fromSeq: number;
  /** The collection's dimension afterwards (fixed by its first vectors). */
  dimension: number | null;
  /** The vectors it wrote, for the collection's index. */
  changes: VectorChange[];
  /** About how many bytes it wrote. */
  bytes: number;
}

/** Writes a validated batch; call inside a write transaction holding the collection's write lock. */
export async function writeBatch(
  store: SqliteStore,
  state: CollectionState,
  kind: WriteKind,
  batch: RecordBatch,
  scope: OperationScope,
): Promise<WrittenBatch> {
  const cid = state.cid;
  const log = logOf(store, state);
  let dimension = log.dimension;
  const embeddings = batch.embeddings;
  if (embeddings && embeddings.length > 0) {
    const d = embeddings[0]!.length;
    if (dimension !== null && d !== dimension) {
      throw new InvalidArgumentError(`Collection expecting embedding with dimension of ${dimension}, got ${d}`);
    }
    dimension ??= d;
  }
  if (kind !== "update" && !embeddings && batch.ids.length > 0) {
    throw new InvalidArgumentError(`Embeddings are required to ${kind} records (no embedding function is set)`);
  }
  const seq = log.seq + 1;
  const changes: VectorChange[] = [];
  let bytes = 0;
  if (log.dimension === null && kind === "update") dimension = null; // nothing exists to update yet
  const existing = store.records.lookupIds(cid, batch.ids);
  const counts: WriteCounts = { added: 0, updated: 0, skipped: 0 };
  await forEachChunked(
    batch.ids,
    (recordId, i) => {
      const embedding = embeddings?.[i];
      const document = batch.documents?.[i];
      const metadata = batch.metadatas?.[i];
      const uri = batch.uris?.[i];
      const found = existing.get(recordId);
      bytes += (embedding?.byteLength ?? 0) + (document?.length ?? 0) + 64;
      if (found) {
        if (kind === "add") {
          counts.skipped++; // Chroma keeps the existing record
          return;
        }
        counts.updated++;
        const merged = metadata ? mergeMetadata(found.metadata, metadata) : undefined;
        store.records.updateRecord(cid, found.rid, seq, {
          embedding,
          document: document ?? undefined,
          uri: uri ?? undefined,
          metadataJson: merged === undefined ? undefined : merged ? stringifyExact(merged) : null,
          metadata: merged ?? undefined,
        });
        if (merged !== undefined) found.metadata = merged ? stringifyExact(merged) : null;
        if (embedding) changes.push({ rid: found.rid, seq, vector: embedding });
        return;
      }
      if (kind === "update") {
        counts.skipped++; // Chroma ignores updates of missing ids
        return;
      }
      counts.added++;
      const clean = metadata ? dropNulls(metadata) : null;
      const metadataJson = clean ? stringifyExact(clean) : null;
      const rid = store.records.insertRecord(cid, recordId, seq, {
        embedding: embedding!,
        document: document ?? null,
        uri: uri ?? null,
        metadataJson,
        metadata: clean,
      });
      existing.set(recordId, { rid, metadata: metadataJson });
      changes.push({ rid, seq, vector: embedding! });
    },
    scope,
  );
  scope.check();
  // In the transaction: no reader can see the new seq or dimension before they are durable.
  store.setCollectionSeq(cid, seq, dimension);
  return { counts, seq, fromSeq: log.seq, dimension, changes, bytes };
}

/**
 * The collection's log position and dimension from SQLite, inside the write transaction: another
 * process may have written since this one last looked, and the seq numbers one log for all of them.
 */
function logOf(store: SqliteStore, state: CollectionState): { seq: number; dimension: number | null } {
  const log = store.collectionLog(state.cid);
  // Deleted by another process while this write waited for SQLite's write lock.
  if (!log) throw new NotFoundError(`Collection [${state.id}] does not exist`);
  return log;
}

/**
 * Deletes records by rowid in one write (their tombstones carry the next seq); call inside a write
 * transaction holding the collection's write lock.
 */
export async function deleteBatch(
  store: SqliteStore,
  state: CollectionState,
  rids: readonly number[],
  scope: OperationScope,
): Promise<Omit<WrittenBatch, "counts">> {
  const log = logOf(store, state);
  const seq = log.seq + 1;
  const dimension = log.dimension;
  await forEachChunked(rids, (rid) => store.records.deleteRecord(state.cid, rid, seq), scope);
  scope.check();
  store.setCollectionSeq(state.cid, seq, dimension);
  return { seq, fromSeq: log.seq, dimension, changes: rids.map((rid) => ({ rid, seq, deleted: true as const })), bytes: rids.length * 64 };
}
