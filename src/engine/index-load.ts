/**
 * A collection's vector index on open: the graph from its files, caught up from SQLite's write log
 * (deletions and rewrites since the save out of the graph, newer vectors into pending), or rebuilt
 * from every vector when the files are missing, damaged or disagree with SQLite.
 */
import type { Logger } from "../logger.js";
import type { SqliteStore } from "../store/sqlite-store.js";
import { yieldToEventLoop } from "../util/abort.js";
import { HnswIndex, type HnswParams } from "../vector/hnsw-index.js";
import type { PendingVectors } from "../vector/pending.js";
import type { VectorChange } from "./collection-state.js";

/** Vectors read from SQLite per page (about 3 MB at 384 dimensions). */
const PAGE = 2000;

export interface LoadedIndex {
  index: HnswIndex;
  /** The write seq the graph holds every change up to. */
  savedSeq: number;
  /** True when the graph was made anew (everything is in pending). */
  rebuilt: boolean;
}

export async function loadIndex(
  store: SqliteStore,
  cid: number,
  indexDir: string,
  params: HnswParams,
  pending: PendingVectors,
  logger: Logger,
  collectionId: string,
): Promise<LoadedIndex> {
  let index: HnswIndex | null = null;
  let savedSeq = 0;
  for (let attempt = 0; ; attempt++) {
    let manifest;
    try {
      manifest = await HnswIndex.readManifest(indexDir);
      if (manifest) {
        index = await HnswIndex.load(indexDir, manifest, params);
        savedSeq = manifest.seq;
      }
      break;
    } catch (err) {
      // Another process may have saved a newer generation meanwhile, removing the one being read.
      const now = await HnswIndex.readManifest(indexDir).catch(() => undefined);
      if (attempt < 2 && manifest && now && now.generation !== manifest.generation) continue;
      logger.warn?.({ collection: collectionId, err: (err as Error).message }, "vector index damaged; rebuilding from SQLite");
      index = null;
      break;
    }
  }
  if (index && savedSeq < store.logFloor(cid)) {
    // Files older than the trimmed write log cannot be caught up (the deletions since are gone).
    logger.warn?.({ collection: collectionId, seq: savedSeq }, "vector index older than the write log; rebuilding");
    index = null;
    savedSeq = 0;
  }
  if (index) {
    // Catch up: drop what was deleted or rewritten since the save, then queue newer vectors.
    for (const rid of store.reads.tombstonesAfter(cid, savedSeq)) index.remove(rid);
    const graph = index;
    await queueVectors(store, cid, pending, savedSeq, (rid) => graph.remove(rid));
    const expected = store.reads.countVectorsUpTo(cid, savedSeq);
    if (index.liveCount !== expected) {
      logger.warn?.(
        { collection: collectionId, indexed: index.liveCount, expected },
        "vector index disagrees with SQLite; rebuilding",
      );
      pending.clear();
      index = null;
    }
  }
  if (index) return { index, savedSeq, rebuilt: false };
  await queueVectors(store, cid, pending, -1);
  return { index: HnswIndex.create(params, store.countRecords(cid)), savedSeq: 0, rebuilt: true };
}

/**
 * The changes written to a collection after `afterSeq`, from the write log, in pages (deletions
 * first, then vectors in rowid order): how a process catches up with what another process wrote.
 * Yields between pages.
 */
export async function* logChangesAfter(store: SqliteStore, cid: number, afterSeq: number): AsyncGenerator<VectorChange[]> {
  const deleted = store.reads.tombstonesAfter(cid, afterSeq);
  if (deleted.length > 0) yield deleted.map((rid) => ({ rid, seq: afterSeq + 1, deleted: true as const }));
  for await (const page of vectorPages(store, cid, afterSeq)) yield page.map(([rid, seq, vector]) => ({ rid, seq, vector }));
}

/**
 * Pages the collection's vectors written after `afterSeq` into pending, yielding between pages;
 * `replaced` hears of each rowid first (its older vector leaves the graph).
 */
async function queueVectors(
  store: SqliteStore,
  cid: number,
  pending: PendingVectors,
  afterSeq: number,
  replaced?: (rid: number) => void,
): Promise<void> {
  for await (const page of vectorPages(store, cid, afterSeq)) {
    for (const [rid, seq, vector] of page) {
      replaced?.(rid);
      pending.set(rid, vector, seq);
    }
  }
}

/**
 * The collection's vectors written after `afterSeq`, in pages: all of them (afterSeq -1) in rowid
 * order, or only the newer ones through the (cid, vector_seq) index. Yields between pages.
 */
async function* vectorPages(store: SqliteStore, cid: number, afterSeq: number): AsyncGenerator<[number, number, Float32Array][]> {
  let from: [number, number] = [afterSeq, 0];
  let afterRid = 0;
  for (;;) {
    const page = afterSeq < 0 ? store.reads.embeddingPage(cid, afterRid, PAGE, afterSeq) : store.reads.vectorsAfter(cid, afterSeq, from, PAGE);
    if (page.length === 0) return;
    yield page;
    const [rid, seq] = page[page.length - 1]!;
    afterRid = rid;
    from = [seq, rid];
    await yieldToEventLoop();
  }
}
