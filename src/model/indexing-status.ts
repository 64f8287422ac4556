import type { IndexingStatus } from "../types.js";

/** Chroma's `getIndexingStatus()` shape for `total` records of which `unindexed` wait for an index. */
export function indexingStatus(total: number, unindexed: number): IndexingStatus {
  const indexed = Math.max(0, total - unindexed);
  return {
    num_indexed_ops: indexed,
    num_unindexed_ops: unindexed,
    total_ops: total,
    op_indexing_progress: total === 0 ? 1 : indexed / total,
  };
}
