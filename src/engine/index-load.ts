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
  try {
    const manifest = await HnswIndex.readManifest(indexDir);
    if (manifest) {
      index = await HnswIndex.load(indexDir, manifest, params);
      savedSeq = manifest.seq;
    }
  } catch (err) {
    logger.warn?.({ collection: collectionId, err: (err as Error).message }, "vector index damaged; rebuilding from SQLite");
    index = null;
  }
  if (index) {
    // Catch up: drop what was deleted or rewritten since the save, then queue newer vectors.
    for (const rid of store.tombstonesAfter(cid, savedSeq)) index.remove(rid);
    const graph = index;
    await queueVectors(store, cid, pending, savedSeq, (rid) => graph.remove(rid));
    const expected = store.countVectorsUpTo(cid, savedSeq);
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
 * Pages the collection's vectors written after `afterSeq` into pending, in rowid order, yielding
 * between pages; `replaced` hears of each rowid first (its older vector leaves the graph).
 */
async function queueVectors(
  store: SqliteStore,
  cid: number,
  pending: PendingVectors,
  afterSeq: number,
  replaced?: (rid: number) => void,
): Promise<void> {
  let after = 0;
  for (;;) {
    const page = store.embeddingPage(cid, after, 2000, afterSeq);
    if (page.length === 0) return;
    for (const [rid, seq, vector] of page) {
      replaced?.(rid);
      pending.set(rid, vector, seq);
    }
    after = page[page.length - 1]![0];
    await yieldToEventLoop();
  }
}
