/**
 * Random operation sequences for the differential suites: fast-check arbitraries that produce plain
 * data (so a failing case prints as a replayable list of operations, and shrinks), and the runner
 * that applies one operation to both systems and compares what they did.
 *
 * Values are kept small on purpose: 16 ids (so adds hit existing ids, batches repeat ids and
 * gets ask for missing ones), integer vector coordinates in [-3, 3] (so l2 and ip distances are
 * exact in float32 and ties are real ties, which both systems must break by insertion order), and a
 * handful of metadata keys and values (so filters match some records, and types collide: the same
 * key holds an int on one record, a float or a string on another, or is missing).
 */
import fc from "fast-check";
import { compareContents, compareGet, compareOutcome, compareQueryResults, deleteNullKeysOnOracle, onBoth, same, type LooseCollection } from "./harness.js";

export const ID_POOL = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "id 15", "ünï"] as const;
const DOCUMENTS = ["apple pie", "Apple", "banana split", "cherry tart", "", "crème brûlée", "a.b*c", "123 apples", "pie"];
const WORDS = ["apple", "Apple", "pie", "an", "", "ü", " ", "split", "a.b", "è", "123"];
const PATTERNS = ["^app", "pie$", "[Aa]pple", "an+a", ".*", "^$", "(?i)APPLE", "\\d+", "é", "^[a-c]", "a\\.b", "x|pie"];
const STRINGS = ["a", "b", "apple", "Apple", ""];
const URIS = ["u1", "u2", "file:///x"];

type Meta = Record<string, unknown>;

export type Include = "documents" | "embeddings" | "metadatas" | "uris" | "distances";

export type Op =
  | {
      op: "add" | "upsert" | "update";
      ids: string[];
      embeddings?: number[][];
      documents?: (string | null)[];
      metadatas?: (Meta | null)[];
      uris?: (string | null)[];
    }
  | { op: "delete"; ids?: string[]; where?: Meta; whereDocument?: Meta; limit?: number }
  | { op: "get"; ids?: string[]; where?: Meta; whereDocument?: Meta; limit?: number; offset?: number; include?: Include[] }
  | {
      op: "query";
      queryEmbeddings: number[][];
      nResults?: number;
      where?: Meta;
      whereDocument?: Meta;
      /** Restrict to these ids; only those that exist are sent (see the deliberate differences). */
      ids?: string[];
      include?: Include[];
    }
  | { op: "count" }
  | { op: "peek"; limit?: number }
  | { op: "modify"; metadata: Meta };

/** `arb` with probability `p`, else `undefined` (so that absent fields stay absent). */
const maybe = <T>(arb: fc.Arbitrary<T>, p = 0.5): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: Math.round(100 * (1 - p)), arbitrary: fc.constant(undefined) }, { weight: Math.round(100 * p), arbitrary: arb });

/** Drops undefined fields, so the operation prints (and is sent) without them. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const vector = (dim: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dim, maxLength: dim });

const INTS = [-2, -1, 0, 1, 2, 3];
const FRACTIONS = [0.5, 1.5, -1.25, 2.25];
const string = fc.constantFrom(...STRINGS);
const int = fc.constantFrom(...INTS);
const fraction = fc.constantFrom(...FRACTIONS);

/**
 * Values of each metadata key. Integers and fractions are kept apart where filters compare them:
 * Chroma truncates a fractional operand when it compares it with an integer value (see "Chroma bugs
 * avoided" in ./harness.ts), so keys that can hold integers (`n`, `num`, `mix`, `extra`) are only
 * compared with integer operands, and `f` only ever holds fractions. `num` holds both across records.
 */
const VALUES = {
  s: string,
  n: int,
  f: fraction,
  num: fc.oneof(int, fraction),
  flag: fc.boolean(),
  mix: fc.oneof(string, int, fc.boolean()),
  tags: fc.array(fc.constantFrom("x", "y", "z"), { minLength: 1, maxLength: 3 }),
  nums: fc.oneof(fc.array(int, { minLength: 1, maxLength: 3 }), fc.array(fraction, { minLength: 1, maxLength: 2 })),
  bools: fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }),
  extra: fc.oneof(string, int),
};
const INTEGER_KEYS = new Set(["n", "num", "mix", "extra"]);

/** Record metadata: every key optional (so some records lack the keys a filter names). */
export const metadata: fc.Arbitrary<Meta> = fc.record(
  { s: VALUES.s, n: VALUES.n, f: VALUES.f, num: VALUES.num, flag: VALUES.flag, mix: VALUES.mix, tags: VALUES.tags, nums: VALUES.nums, bools: VALUES.bools },
  { requiredKeys: [] },
);

/** Metadata of update/upsert: a few keys, where null deletes the key. */
const metadataPatch: fc.Arbitrary<Meta> = fc
  .uniqueArray(fc.constantFrom("s", "n", "f", "num", "flag", "mix", "tags", "extra"), { minLength: 1, maxLength: 3 })
  .chain((keys) =>
    // undefined is no value (the official client's JSON drops it): the key stays on both.
    fc.tuple(...keys.map((k) => fc.oneof(
      { weight: 6, arbitrary: fc.option(VALUES[k as keyof typeof VALUES] as fc.Arbitrary<unknown>, { nil: null, freq: 3 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ))).map(
      (values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])),
    ),
  );

const KEYS = ["s", "n", "f", "num", "flag", "mix", "tags", "nums", "bools", "missing"];

/** Operands for `key`: integers only where the key can hold integers. */
function operands(key: string) {
  const number = INTEGER_KEYS.has(key) ? int : fc.oneof(int, fraction);
  const single = fc.oneof(string, number, fc.boolean());
  // $in / $nin: one type per list (integers and fractions apart: Chroma refuses [1, 2.5])
  const list = fc.oneof(
    fc.uniqueArray(string, { minLength: 1, maxLength: 3 }),
    fc.uniqueArray(int, { minLength: 1, maxLength: 3 }),
    ...(INTEGER_KEYS.has(key) ? [] : [fc.uniqueArray(fraction, { minLength: 1, maxLength: 3 })]),
    fc.uniqueArray(fc.boolean(), { minLength: 1, maxLength: 2 }),
  );
  return { number, single, list };
}

function fieldCondition(key: string): fc.Arbitrary<unknown> {
  const { number, single, list } = operands(key);
  return fc.oneof(
    single,
    single.map((v) => ({ $eq: v })),
    single.map((v) => ({ $ne: v })),
    fc.constantFrom("$gt", "$gte", "$lt", "$lte").chain((op) => number.map((v) => ({ [op]: v }))),
    list.map((v) => ({ $in: v })),
    list.map((v) => ({ $nin: v })),
    single.map((v) => ({ $contains: v })),
    single.map((v) => ({ $not_contains: v })),
  );
}

/**
 * Chroma's keys for a record's document and uri: `where` on them filters those (strings; other
 * operand types match nothing, or everything under a negation).
 */
function recordColumnCondition(key: "chroma:document" | "chroma:uri"): fc.Arbitrary<unknown> {
  const text = fc.constantFrom(...(key === "chroma:document" ? DOCUMENTS : URIS), "nope");
  return fc.oneof(
    text,
    text.map((v) => ({ $ne: v })),
    fc.uniqueArray(text, { minLength: 1, maxLength: 3 }).map((v) => ({ $in: v })),
    fc.uniqueArray(text, { minLength: 1, maxLength: 3 }).map((v) => ({ $nin: v })),
    fc.oneof(int, fc.boolean()).map((v) => ({ $eq: v })),
    int.map((v) => ({ $gte: v })),
    text.map((v) => ({ $contains: v })),
  );
}

export const where: fc.Arbitrary<Meta> = fc.letrec<{ where: Meta }>((tie) => ({
  where: fc.oneof(
    { maxDepth: 2, withCrossShrink: true },
    fc.constantFrom(...KEYS).chain((k) => fieldCondition(k).map((c) => ({ [k]: c }))),
    fc.constantFrom("chroma:document", "chroma:uri").chain((k) => recordColumnCondition(k).map((c) => ({ [k]: c }))),
    fc.array(tie("where"), { minLength: 2, maxLength: 3 }).map((c) => ({ $and: c })),
    fc.array(tie("where"), { minLength: 2, maxLength: 3 }).map((c) => ({ $or: c })),
  ),
})).where;

export const whereDocument: fc.Arbitrary<Meta> = fc.letrec<{ wd: Meta }>((tie) => ({
  wd: fc.oneof(
    { maxDepth: 2, withCrossShrink: true },
    fc.constantFrom(...WORDS).map((t) => ({ $contains: t })),
    fc.constantFrom(...WORDS).map((t) => ({ $not_contains: t })),
    fc.constantFrom(...PATTERNS).map((p) => ({ $regex: p })),
    fc.constantFrom(...PATTERNS).map((p) => ({ $not_regex: p })),
    fc.array(tie("wd"), { minLength: 2, maxLength: 3 }).map((c) => ({ $and: c })),
    fc.array(tie("wd"), { minLength: 2, maxLength: 3 }).map((c) => ({ $or: c })),
  ),
})).wd;

/** Ids of a write batch: may repeat an id (the official client rejects that, and so must we). */
const idList = (min: number, max: number) => fc.array(fc.constantFrom(...ID_POOL), { minLength: min, maxLength: max });
/**
 * Ids of a read or delete: distinct and non-empty. (The official client rejects duplicates and `[]`
 * there, the Chroma server and chromalite accept them; see "open differences" in ./harness.ts.)
 */
const idSet = (max: number) => fc.uniqueArray(fc.constantFrom(...ID_POOL), { minLength: 1, maxLength: max });
const getInclude = maybe(fc.subarray<Include>(["documents", "embeddings", "metadatas", "uris"]), 0.6);
const queryInclude = maybe(fc.subarray<Include>(["documents", "embeddings", "metadatas", "uris", "distances"]), 0.6);

/** A write batch; ids may repeat (the client rejects that) and one in ~25 has a wrong dimension. */
function writeOp(kind: "add" | "upsert" | "update", dim: number): fc.Arbitrary<Op> {
  const ids = fc.oneof({ weight: 9, arbitrary: idSet(4) }, { weight: 1, arbitrary: idList(2, 4) });
  return ids.chain((ids) => {
    const n = ids.length;
    const column = <T>(arb: fc.Arbitrary<T>) => maybe(fc.array(arb, { minLength: n, maxLength: n }), 0.6);
    const embeddings = fc.oneof(
      { weight: 24, arbitrary: fc.array(vector(dim), { minLength: n, maxLength: n }) },
      { weight: 1, arbitrary: fc.array(vector(dim + 1), { minLength: n, maxLength: n }) },
    );
    return fc
      .record({
        // update may leave the embeddings alone; add and upsert need them (there is no embedding function)
        embeddings: kind === "update" ? maybe(embeddings, 0.7) : embeddings,
        documents: column(fc.constantFrom(...DOCUMENTS)),
        metadatas: column(kind === "add" ? fc.option(metadata, { nil: null, freq: 6 }) : fc.oneof(metadata, metadataPatch)),
        uris: maybe(fc.array(fc.constantFrom(...URIS), { minLength: n, maxLength: n }), 0.2),
      })
      .map((cols) => compact({ op: kind, ids, ...cols }) as Op);
  });
}

/**
 * The first operation of a sequence: a valid add, so that the collection's dimension is fixed before
 * any update can run (see "open differences" in ./harness.ts: an update that touches nothing fixes
 * the dimension on Chroma, not on chromalite).
 */
export function firstAdd(dim: number): fc.Arbitrary<Op> {
  return idSet(4).chain((ids) =>
    fc
      .record({
        embeddings: fc.array(vector(dim), { minLength: ids.length, maxLength: ids.length }),
        documents: maybe(fc.array(fc.constantFrom(...DOCUMENTS), { minLength: ids.length, maxLength: ids.length }), 0.7),
        metadatas: maybe(fc.array(metadata.filter((m) => Object.keys(m).length > 0), { minLength: ids.length, maxLength: ids.length }), 0.7),
      })
      .map((cols) => compact({ op: "add" as const, ids, ...cols })),
  );
}

export function opArbitrary(dim: number): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 6, arbitrary: writeOp("add", dim) },
    { weight: 3, arbitrary: writeOp("upsert", dim) },
    { weight: 3, arbitrary: writeOp("update", dim) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          ids: maybe(idSet(3), 0.6),
          where: maybe(where, 0.4),
          whereDocument: maybe(whereDocument, 0.25),
          limit: maybe(fc.integer({ min: 0, max: 3 }), 0.25),
        })
        .map((a) => compact({ op: "delete" as const, ...a })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          ids: maybe(idSet(4), 0.25),
          where: maybe(where, 0.4),
          whereDocument: maybe(whereDocument, 0.25),
          limit: maybe(fc.integer({ min: 0, max: 6 }), 0.3),
          offset: maybe(fc.integer({ min: 0, max: 6 }), 0.3),
          include: getInclude,
        })
        .map((a) => compact({ op: "get" as const, ...a })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          queryEmbeddings: fc.array(vector(dim), { minLength: 1, maxLength: 2 }),
          // not 0: see "Chroma bugs avoided" in ./harness.ts
          nResults: maybe(fc.integer({ min: 1, max: 14 }), 0.7),
          where: maybe(where, 0.35),
          whereDocument: maybe(whereDocument, 0.2),
          ids: maybe(idSet(5), 0.2),
          include: queryInclude,
        })
        .map((a) => compact({ op: "query" as const, ...a })),
    },
    { weight: 1, arbitrary: fc.constant({ op: "count" as const }) },
    { weight: 1, arbitrary: maybe(fc.integer({ min: 0, max: 5 })).map((limit) => compact({ op: "peek" as const, limit })) },
    { weight: 1, arbitrary: metadata.filter((m) => Object.keys(m).length > 0 && !Object.values(m).some(Array.isArray)).map((m) => ({ op: "modify" as const, metadata: m })) },
  );
}

export type Space = "l2" | "cosine" | "ip";

/** How a run's collection is created. `legacy`: the space goes in `hnsw:space` metadata. */
export interface CollectionSpec {
  dim: number;
  space: Space | undefined;
  legacy: boolean;
  metadata: Meta | undefined;
}

export const collectionSpec: fc.Arbitrary<CollectionSpec> = fc.record({
  dim: fc.integer({ min: 2, max: 8 }),
  space: fc.constantFrom<Space | undefined>(undefined, "l2", "cosine", "ip"),
  legacy: fc.boolean(),
  metadata: maybe(fc.record({ owner: fc.constantFrom("me", "you"), v: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: ["owner"] })),
});

export function createArgs(spec: CollectionSpec, name: string): Record<string, unknown> {
  if (spec.space !== undefined && spec.legacy) {
    return { name, metadata: { ...spec.metadata, "hnsw:space": spec.space } };
  }
  return compact({
    name,
    metadata: spec.metadata,
    configuration: spec.space === undefined ? undefined : { hnsw: { space: spec.space } },
  });
}

/** The arguments sent for `op` (a query's ids cut down to those that exist). */
function argsOf(op: Op, existing: Set<string>): Record<string, unknown> {
  const args: Record<string, unknown> = { ...op };
  delete args.op;
  if (op.op === "query" && op.ids !== undefined) return { ...args, ids: op.ids.filter((id) => existing.has(id)) };
  return args;
}

const WRITES = new Set(["add", "upsert", "update", "delete", "modify"]);

/**
 * Applies `op` to both collections and compares the outcomes; after a write, compares the whole
 * contents. Throws a `Mismatch` naming the step.
 */
export async function runOp(
  op: Op,
  lite: LooseCollection,
  oracle: LooseCollection,
  step: string,
  oracleUrl: string,
): Promise<void> {
  let existing = new Set<string>();
  if (op.op === "query" && op.ids !== undefined) existing = new Set((await oracle.get({ include: [] })).ids);
  const args = argsOf(op, existing);
  // None of its ids exists: Chroma's client would reject `ids: []` (an open difference) and any
  // missing id fails on its server (a deliberate one), so there is nothing to compare.
  if (op.op === "query" && Array.isArray(args.ids) && args.ids.length === 0) return;
  const what = `${step} ${op.op} ${JSON.stringify(args)}`;
  switch (op.op) {
    case "add":
    case "upsert":
    case "update": {
      const kind = op.op;
      const [a, b] = await onBoth(lite, oracle, (c) => c[kind](args));
      compareOutcome(a, b, what);
      if (b.ok && kind !== "add" && op.metadatas) await deleteNullKeysOnOracle(oracleUrl, oracle.id, op.ids, op.metadatas);
      break;
    }
    case "delete": {
      const [a, b] = await onBoth(lite, oracle, (c) => c.delete(args));
      compareOutcome(a, b, what);
      break;
    }
    case "modify": {
      const [a, b] = await onBoth(lite, oracle, (c) => c.modify(args));
      compareOutcome(a, b, what);
      same(lite.metadata ?? null, oracle.metadata ?? null, `${what}: collection metadata`);
      break;
    }
    case "get":
    case "peek": {
      const kind = op.op;
      const [a, b] = await onBoth(lite, oracle, (c) => c[kind](args));
      compareOutcome(a, b, what);
      if (a.ok && b.ok) compareGet(a.value, b.value, what);
      break;
    }
    case "query": {
      const [a, b] = await onBoth(lite, oracle, (c) => c.query(args));
      compareOutcome(a, b, what);
      if (a.ok && b.ok) await compareQueryResults(a.value, b.value, lite, oracle, args, what);
      break;
    }
    case "count": {
      const [a, b] = await onBoth(lite, oracle, (c) => c.count());
      compareOutcome(a, b, what);
      if (a.ok && b.ok) same(a.value, b.value, what);
      break;
    }
  }
  if (WRITES.has(op.op)) await compareContents(lite, oracle, what);
}
