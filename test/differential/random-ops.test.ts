/**
 * Differential test: random sequences of record operations (add, upsert, update, delete, get, query,
 * count, peek, modify; valid and invalid) run on chromalite and on the real Chroma server, with
 * every result and every accept/reject compared. The deliberate differences that are not compared
 * are listed at the top of ./harness.ts.
 *
 * Reproducible: the seed is fixed. Environment: CHROMALITE_DIFF_SEED (another seed),
 * CHROMALITE_DIFF_RUNS (number of sequences, default 30), CHROMALITE_DIFF_SHRINK=1 (shrink a failing
 * sequence to a minimal one; slower). A failure prints the sequence of operations, plain data that
 * replays as is, and the first step where the two systems disagreed.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { oracleAvailable } from "../helpers/oracle.js";
import { PersistentClient } from "../../src/index.js";
import {
  compareContents,
  compareOutcome,
  compareQueryResults,
  onBoth,
  uniqueName,
  usePair,
  type LooseCollection,
} from "./harness.js";
import { collectionSpec, createArgs, firstAdd, opArbitrary, runOp, type CollectionSpec, type Op } from "./ops.js";

const oracle = await oracleAvailable();
const SEED = Number(process.env.CHROMALITE_DIFF_SEED ?? 20251127);
const RUNS = Number(process.env.CHROMALITE_DIFF_RUNS ?? 30);

describe.skipIf(!oracle.ok)(`random operation sequences vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  const pair = usePair();

  /**
   * Creates a collection on both sides and runs the sequence. Collections are left in place: deleting
   * one on the oracle would trip its array-metadata leak (see "Chroma bugs avoided" in harness.ts).
   */
  const created: { name: string; dim: number }[] = [];

  async function runSequence(spec: CollectionSpec, ops: Op[]): Promise<void> {
    const { lite, oracle, oracleUrl } = pair();
    const args = createArgs(spec, uniqueName("r"));
    const [a, b] = [await lite.createCollection(args), await oracle.createCollection(args)];
    created.push({ name: a.name, dim: spec.dim });
    for (const [i, op] of ops.entries()) await runOp(op, a, b, `#${i}`, oracleUrl);
    await compareContents(a, b, "at the end");
  }

  it("agree on random sequences of operations", async () => {
    const sequences = collectionSpec.chain((spec) =>
      fc
        .tuple(firstAdd(spec.dim), fc.array(opArbitrary(spec.dim), { minLength: 10, maxLength: 40, size: "max" }))
        .map(([first, ops]) => ({ spec, ops: [first, ...ops] })),
    );
    await fc.assert(
      fc.asyncProperty(sequences, ({ spec, ops }) => runSequence(spec, ops)),
      { seed: SEED, numRuns: RUNS, endOnFailure: process.env.CHROMALITE_DIFF_SHRINK !== "1" },
    );
  });

  it("agree after chromalite reopens its folder", async () => {
    const p = pair();
    await p.liteClient.close();
    const reopened = new PersistentClient({ path: p.liteDir });
    try {
      for (const { name, dim } of created) {
        const a = (await reopened.getCollection({ name })) as unknown as LooseCollection;
        const b = await p.oracle.getCollection({ name });
        await compareContents(a, b, `${name} after reopening`);
        const args = { queryEmbeddings: [Array.from({ length: dim }, (_, i) => (i % 3) - 1)], nResults: 5 };
        const [qa, qb] = await onBoth(a, b, (c) => c.query(args));
        compareOutcome(qa, qb, `${name}: query after reopening`);
        if (qa.ok && qb.ok) await compareQueryResults(qa.value, qb.value, a, b, args, `${name}: query after reopening`);
      }
    } finally {
      await reopened.close();
    }
  });
});
