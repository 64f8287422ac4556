/**
 * Differential test across processes: the random operation sequences of the differential suite
 * (test/differential/ops.ts: adds, upserts, updates, deletes, gets, queries, counts, peeks, modifies;
 * valid and invalid) run
 *   (a) spread round-robin over three processes sharing one folder,
 *   (b) in one process on a folder of its own, and
 *   (c) against the real Chroma (the oracle, test/helpers/oracle.ts; skipped, visibly, when it
 *       cannot be installed here),
 * and every outcome is compared: (a) and (b) must agree exactly (same engine, so the same values and
 * the same errors), and after each write all three processes of (a) must hold exactly what (b) holds;
 * (a) and (c) are compared by the differential suite's own rules (its deliberate differences aside).
 *
 * Environment: MP_DIFF_SEEDS (comma-separated seeds, default 1,2,3), MP_DIFF_OPS (operations per
 * sequence, default 200).
 */
import { ChromaClient } from "chromadb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oracleAvailable, startOracle, type OracleServer } from "../helpers/oracle.js";
import { tempDir } from "../helpers/tmp.js";
import { compareContents, uniqueName, type GetLike, type LooseCollection, type QueryLike } from "../differential/harness.js";
import { collectionSpec, createArgs, firstAdd, opArbitrary, runOp, type CollectionSpec, type Op } from "../differential/ops.js";
import { ALL, openProcs, spawnProc, type CollectionInfo, type Outcome, type Proc } from "./harness.js";

const SEEDS = (process.env.MP_DIFF_SEEDS ?? "1,2,3").split(",").map(Number);
const OPS = Number(process.env.MP_DIFF_OPS ?? 200);
const WRITES = new Set(["add", "upsert", "update", "delete", "modify"]);

/** The sequence for `seed`: a collection spec, a first add, then OPS random operations. */
function sequence(seed: number): { spec: CollectionSpec; ops: Op[] } {
  const arb = collectionSpec.chain((spec) =>
    fc
      .tuple(firstAdd(spec.dim), fc.array(opArbitrary(spec.dim), { minLength: OPS, maxLength: OPS, size: "max" }))
      .map(([first, ops]) => ({ spec, ops: [first, ...ops] })),
  );
  return fc.sample(arb, { seed, numRuns: 1 })[0]!;
}

/**
 * Every process looks the collection up once, as an application would, so that each holds a full
 * handle (a bare `client.collection(id)` words some errors differently).
 */
async function fullHandles(procs: Proc[], id: string): Promise<void> {
  for (const p of procs) await p.client("getCollectionById", id);
}

/** The call an operation makes: method and positional arguments. */
function callOf(op: Op): [string, unknown[]] {
  const { op: method, ...args } = op;
  return [method, method === "count" ? [] : [args]];
}

/** An outcome as compared between (a) and (b): errors by name, code and message (the collection id masked). */
function comparable(o: Outcome<unknown>, collectionId: string): unknown {
  return o.ok ? o : { ok: false, name: o.error.name, code: o.error.code, message: o.error.message.replaceAll(collectionId, "<id>") };
}

/**
 * A collection of (a) as the differential harness sees one: each call goes to the next of the three
 * processes in turn. Errors come back as ChromaLiteErrors with the child's code, which is what the
 * harness classifies.
 */
function roundRobin(procs: Proc[], info: CollectionInfo): LooseCollection {
  let turn = 0;
  let metadata = info.metadata as Record<string, unknown> | null;
  const next = () => procs[turn++ % procs.length]!;
  const call = <T>(method: string, ...args: unknown[]) => next().col<T>(info.id, method, ...args);
  return {
    id: info.id,
    name: info.name,
    get metadata() {
      return metadata;
    },
    add: (a) => call("add", a),
    upsert: (a) => call("upsert", a),
    update: (a) => call("update", a),
    delete: (a) => call("delete", a),
    get: (a) => call<GetLike>("get", a ?? {}),
    query: (a) => call<QueryLike>("query", a),
    peek: (a) => call<GetLike>("peek", a),
    count: () => call<number>("count"),
    modify: async (a) => {
      metadata = (await call<{ metadata: Record<string, unknown> | null }>("modify", a)).metadata;
    },
  };
}

describe("random operation sequences: three processes on one folder vs one process", () => {
  for (const seed of SEEDS) {
    it(`agree step by step (seed ${seed}, ${OPS} operations)`, async () => {
      const { spec, ops } = sequence(seed);
      const multi = await openProcs(3, tempDir("chromalite-mp-diff-"), {}, "M");
      const single = await spawnProc("S");
      await single.open({ path: tempDir("chromalite-mp-diff1-") });
      const args = createArgs(spec, "diff");
      const m = await multi[0]!.client<CollectionInfo>("createCollection", args);
      const s = await single.client<CollectionInfo>("createCollection", args);
      await fullHandles(multi, m.id);
      for (const [i, op] of ops.entries()) {
        const [method, callArgs] = callOf(op);
        const by = multi[i % 3]!;
        const a = await by.tryCol(m.id, method, ...callArgs);
        const b = await single.tryCol(s.id, method, ...callArgs);
        const what = `#${i} ${method} ${JSON.stringify(callArgs)} (by ${by.label})`;
        expect(comparable(a, m.id), `${what}: three processes vs one`).toEqual(comparable(b, s.id));
        if (!WRITES.has(method)) continue;
        const want = await single.col(s.id, "get", ALL);
        for (const p of multi) expect(await p.col(m.id, "get", ALL), `${what}: contents seen by ${p.label} afterwards`).toEqual(want);
      }
    });
  }
});

const oracle = await oracleAvailable();

describe.skipIf(!oracle.ok)(`random operation sequences: three processes on one folder vs Chroma${oracle.ok ? "" : ` (skipped: ${oracle.reason})`}`, () => {
  let server: OracleServer | undefined;
  beforeAll(async () => {
    server = await startOracle({ allowReset: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const seed of SEEDS) {
    it(`agree (seed ${seed}, ${OPS} operations)`, async () => {
      const { spec, ops } = sequence(seed);
      const multi = await openProcs(3, tempDir("chromalite-mp-diffo-"), {}, "M");
      const chroma = new ChromaClient({ host: server!.host, port: server!.port });
      // Never deleted on the oracle (see "Chroma bugs avoided" in test/differential/harness.ts).
      const args = createArgs(spec, uniqueName("mp"));
      const lite = roundRobin(multi, await multi[0]!.client<CollectionInfo>("createCollection", args));
      await fullHandles(multi, lite.id);
      const theirs = (await chroma.createCollection({ embeddingFunction: null, ...args } as never)) as unknown as LooseCollection;
      for (const [i, op] of ops.entries()) await runOp(op, lite, theirs, `#${i}`, server!.url);
      await compareContents(lite, theirs, "at the end");
    });
  }
});
