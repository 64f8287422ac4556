/**
 * Shared machinery of the differential suites: the same operation runs on chromalite (a
 * `PersistentClient` on a temp folder) and on the real Chroma server (the official `chromadb` client
 * against the oracle, see test/helpers/oracle.ts), and the outcomes are compared: both succeed with
 * the same result, or both fail with the same class of error.
 *
 * KNOWN, DELIBERATE DIFFERENCES (not compared; everything else is):
 * - `delete` returns how many records were actually deleted; Chroma returns how many ids were asked
 *   for. The effect on the data is compared.
 * - `query` with an id in `ids` that does not exist: Chroma fails with a 500 ("Error finding id");
 *   chromalite ignores missing ids, as `get` does on both. The random suites pass only existing ids.
 * - Renaming a collection onto an existing name: Chroma fails with a 500 (SQLite UNIQUE constraint);
 *   chromalite answers UniqueConstraintError (409), as `createCollection` does on both.
 * - An array value in collection metadata makes the Chroma server panic and drop the connection;
 *   chromalite accepts it like any metadata value. Never sent to the oracle.
 * - Record metadata keys starting with `chroma:` are refused (Chroma treats `chroma:document` and
 *   `chroma:uri` as the document and uri and drops the others). `where` on those two keys is
 *   compared: it filters documents and uris on both. Random metadata keys never start with `chroma:`.
 * - A database in a tenant that does not exist is refused (404); Chroma creates it.
 *
 * HOW RESULTS ARE COMPARED: ids and their order, documents, metadatas (key order aside) and uris
 * exactly; embeddings and distances to float32 tolerance (Chroma re-scales the vectors of cosine
 * collections); runs of tied distances as described at `compareQuery` (a run cut off by nResults may
 * hold different records: Chroma's HNSW does not pick the first inserted); collection lists as sets
 * (Chroma lists in no particular order). Of errors only the class (see `classifyError`).
 *
 * CHROMA BUGS AVOIDED (the suites stay clear of them; chromalite does not copy them):
 * - Deleting a collection leaves its records' array-valued metadata behind; records added next (to
 *   any collection) reuse the row ids and inherit those arrays, in get results and in filters. So
 *   the suites never delete an oracle collection in the middle of a file.
 * - A filter that compares an integer metadata value with a fractional number truncates the number
 *   toward zero: `{n: {$eq: 1.5}}` matches n = 1, `{n: {$lt: 1.5}}` does not, `{n: {$eq: -1.5}}`
 *   matches n = -1 (same for $ne, $in, $nin, $gt, $gte, $lte). chromalite compares the numbers.
 *   Keys that can hold integers are only compared with integer operands here.
 * - `query` with `nResults: 0` on a collection that has seen a delete drops the connection (the
 *   client reports ChromaConnectionError; the server lives on). Random queries ask for 1 or more.
 *
 * OPEN DIFFERENCES (found by these suites, reported, not decided yet; kept out of the comparison):
 * - The official JS client drops null metadata values before sending, so `update` / `upsert` with
 *   `{key: null}` leaves the key in place on Chroma, while chromalite deletes it, as the Chroma
 *   server does when it receives the null (and as the Python client sends it). The random suite
 *   compares with the server's semantics: it sends the nulls to the oracle in a second, raw request
 *   (`deleteNullKeysOnOracle`).
 * - `$in` / `$nin` with an integer first and a fraction later (`[1, 2.5]`) is "Invalid where clause"
 *   on Chroma (its JSON decoding settles the list type on the first number), while `[2.5, 1]` is
 *   accepted; chromalite accepts both. Lists here keep integers and fractions apart.
 * - An `update` with embeddings on a collection that has none yet fixes the collection's dimension
 *   on Chroma even though it updates nothing; on chromalite it does not (a deliberate change of
 *   9759375). Each random sequence starts with an add, so the dimension is fixed first.
 * - The official client rejects, before sending, `ids: []` and duplicate ids in get / query / delete,
 *   `queryEmbeddings: []`, `$and` / `$or` with fewer than two clauses, and null entries in
 *   `documents`; the Chroma server and chromalite accept them (`[]` selects nothing, duplicates count
 *   once, one clause is that clause, a null document is no document). The random operations only
 *   send distinct, non-empty id lists, two or more clauses and string documents.
 * - The official client converts strings in embeddings to numbers (`[1, "2"]`); chromalite refuses.
 * - `hnsw` `ef_search: 0` / `ef_construction: 0` are accepted by Chroma, refused by chromalite; so is
 *   `max_neighbors: 1`, with which Chroma's index then answers wrongly (0 drops the connection).
 * - Regular expressions: chromalite uses RE2, Chroma Rust's `regex` crate. They differ at the edges:
 *   `\Q...\E` only RE2 accepts; `\u00e9`, repeats over 1000 (`x{1001}`) and stacked repetition
 *   (`a++`, `a+*`) only Rust accepts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ChromaClient } from "chromadb";
import { afterAll, beforeAll, expect } from "vitest";
import { ChromaLiteError, PersistentClient } from "../../src/index.js";
import { startOracle, type OracleServer } from "../helpers/oracle.js";

/**
 * What an operation came to, reduced to what must agree between the two systems. "other" is an
 * error neither system meant (a TypeError in the test, a crash): it never agrees with anything.
 */
export type ErrorKind = "invalid" | "not-found" | "unique" | "server" | "other";
export type Outcome<T> = { ok: true; value: T } | { ok: false; kind: ErrorKind; error: string };

/**
 * The error class, across the two clients: Chroma's 400/422 (ChromaClientError, or ChromaValueError
 * from the client's own checks) and our InvalidArgumentError are "invalid", and so on.
 */
export function classifyError(err: unknown, side: "lite" | "oracle"): ErrorKind {
  if (side === "lite") {
    if (!(err instanceof ChromaLiteError)) return "other";
    switch (err.code) {
      case "INVALID_ARGUMENT":
      case "INVALID_COLLECTION":
        return "invalid";
      case "NOT_FOUND":
        return "not-found";
      case "UNIQUE_CONSTRAINT":
        return "unique";
      default:
        return "other";
    }
  }
  const name = err instanceof Error ? err.name : "";
  switch (name) {
    // A few of the official client's own argument checks throw plain errors ("limit can only be
    // specified when a where or whereDocument clause is provided"), and some bad arguments trip its
    // code up (a TypeError): invalid input, but only when the error comes from inside the client. The
    // same error from the test's own code is a bug of the test, not an agreement.
    case "Error":
    case "TypeError":
      return thrownByOfficialClient(err as Error) ? "invalid" : "other";
    case "ChromaValueError":
    case "ChromaClientError":
      return "invalid";
    case "ChromaNotFoundError":
      return "not-found";
    case "ChromaUniqueError":
      return "unique";
    case "ChromaServerError":
    case "ChromaConnectionError":
      return "server";
    default:
      return "other";
  }
}

/**
 * True when the innermost frame of `err`'s stack that is in a file (not a built-in such as
 * `Object.keys`) is in the official `chromadb` package.
 */
export function thrownByOfficialClient(err: Error): boolean {
  const frame = (err.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .find((line) => !/\((<anonymous>|node:[^)]*)\)$|^\s+at node:/.test(line));
  return frame !== undefined && /[\\/]node_modules[\\/]chromadb[\\/]/.test(frame);
}

export async function capture<T>(side: "lite" | "oracle", fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, kind: classifyError(err, side), error };
  }
}

/** Runs `fn` on chromalite, then on Chroma (one after the other: the order of effects is the same). */
export async function onBoth<C, T>(lite: C, oracle: C, fn: (c: C) => Promise<T>): Promise<[Outcome<T>, Outcome<T>]> {
  const a = await capture("lite", () => fn(lite));
  const b = await capture("oracle", () => fn(oracle));
  return [a, b];
}

// ------------------------------------------------------------------ loose views of both clients

/** The part of a get result both clients share. */
export interface GetLike {
  ids: string[];
  documents: (string | null)[];
  embeddings: number[][];
  metadatas: (Record<string, unknown> | null)[];
  uris: (string | null)[];
  include: string[];
}

export interface QueryLike {
  ids: string[][];
  distances: (number | null)[][];
  documents: (string | null)[][];
  embeddings: (number[] | null)[][];
  metadatas: (Record<string, unknown> | null)[][];
  uris: (string | null)[][];
  include: string[];
}

/**
 * A collection of either client, with arguments left loose so that invalid inputs can be sent to
 * both unchanged.
 */
export interface LooseCollection {
  readonly id: string;
  readonly name: string;
  readonly metadata: Record<string, unknown> | undefined | null;
  add(args: object): Promise<unknown>;
  upsert(args: object): Promise<unknown>;
  update(args: object): Promise<unknown>;
  delete(args: object): Promise<unknown>;
  get(args?: object): Promise<GetLike>;
  query(args: object): Promise<QueryLike>;
  peek(args: object): Promise<GetLike>;
  count(): Promise<number>;
  modify(args: object): Promise<unknown>;
}

export interface LooseClient {
  createCollection(args: object): Promise<LooseCollection>;
  getOrCreateCollection(args: object): Promise<LooseCollection>;
  getCollection(args: object): Promise<LooseCollection>;
  deleteCollection(args: { name: string }): Promise<unknown>;
  listCollections(args?: object): Promise<LooseCollection[]>;
  countCollections(): Promise<number>;
}

/** The two systems under comparison, for one test file. */
export interface Pair {
  /** The oracle's base URL, for the few requests the official client cannot make. */
  oracleUrl: string;
  oracle: LooseClient;
  lite: LooseClient;
  /** chromalite's client, for closing. */
  liteClient: PersistentClient;
  liteDir: string;
  /** Closes chromalite and removes its folder (the oracle is stopped by its owner). */
  close(): Promise<void>;
}

export function openPair(server: OracleServer): Pair {
  const oracleClient = new ChromaClient({ host: server.host, port: server.port });
  const liteDir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-diff-"));
  const liteClient = new PersistentClient({ path: liteDir });
  // Both clients take the same arguments; the oracle must never compute embeddings (no model here).
  const loose = (c: unknown) => c as LooseCollection;
  const oracle: LooseClient = {
    createCollection: async (a: object) => loose(await oracleClient.createCollection({ embeddingFunction: null, ...a } as never)),
    getOrCreateCollection: async (a: object) =>
      loose(await oracleClient.getOrCreateCollection({ embeddingFunction: null, ...a } as never)),
    getCollection: async (a: object) => loose(await oracleClient.getCollection({ embeddingFunction: null, ...a } as never)),
    deleteCollection: (a: { name: string }) => oracleClient.deleteCollection(a),
    listCollections: async (a?: object) => (await oracleClient.listCollections(a as never)).map(loose),
    countCollections: () => oracleClient.countCollections(),
  };
  const lite = liteClient as unknown as LooseClient;
  return {
    oracleUrl: server.url,
    oracle,
    lite,
    liteClient,
    liteDir,
    async close() {
      await liteClient.close();
      fs.rmSync(liteDir, { recursive: true, force: true });
    },
  };
}

/**
 * One oracle server and one chromalite folder for the current test file: started in `beforeAll`,
 * stopped and removed in `afterAll` (also when tests fail). Call at the top of a `describe`.
 */
export function usePair(): () => Pair {
  let server: OracleServer | undefined;
  let pair: Pair | undefined;
  beforeAll(async () => {
    server = await startOracle({ allowReset: true });
    pair = openPair(server);
  });
  afterAll(async () => {
    try {
      await pair?.close();
    } finally {
      await server?.stop();
    }
  });
  return () => {
    if (!pair) throw new Error("the oracle did not start (see beforeAll)");
    return pair;
  };
}

let counter = 0;
/** A collection name no earlier test of this process used (both sides share one namespace each). */
export function uniqueName(prefix = "c"): string {
  counter++;
  return `${prefix}${counter}x${Math.floor(Math.random() * 1e6)}`;
}

// ------------------------------------------------------------------ comparing

/** float32 tolerance for distances: relative 1e-5 or absolute 1e-5. */
export function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-5 || Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
}

/** Both clients return float32 values as JS numbers; Chroma's JSON has them in shortest form. */
const f32 = (v: number[] | null | undefined): number[] | null | undefined => (v ? v.map((x) => Math.fround(x)) : v);

export class Mismatch extends Error {
  override name = "Mismatch";
}

/** Deep equality (key order ignored), as a Mismatch naming `what`. */
export function same(actual: unknown, expected: unknown, what: string): void {
  try {
    expect(actual).toEqual(expected);
  } catch (err) {
    throw new Mismatch(`${what}: chromalite ${JSON.stringify(actual)} but Chroma ${JSON.stringify(expected)}\n${(err as Error).message}`);
  }
}

/**
 * Embeddings to float32 tolerance: Chroma hands back vectors of cosine collections re-scaled from
 * their normalised form (3 comes back as 3.0000002).
 */
function sameVectors(actual: (number[] | null | undefined)[], expected: (number[] | null | undefined)[], what: string): void {
  const close = (a: number[] | null | undefined, b: number[] | null | undefined) =>
    a === b || (!!a && !!b && a.length === b.length && a.every((x, i) => closeEnough(x, b[i]!)));
  if (actual.length !== expected.length || actual.some((v, i) => !close(v, expected[i]))) {
    same(actual.map(f32), expected.map(f32), what);
  }
}

const sortedInclude = (include: string[]) => [...include].sort();

/** Compares two get results field by field (ids and their order, documents, metadatas, embeddings, uris). */
export function compareGet(lite: GetLike, oracle: GetLike, what: string): void {
  same(sortedInclude(lite.include), sortedInclude(oracle.include), `${what}: include`);
  same(lite.ids, oracle.ids, `${what}: ids`);
  same(lite.documents, oracle.documents, `${what}: documents`);
  same(lite.metadatas, oracle.metadatas, `${what}: metadatas`);
  sameVectors(lite.embeddings, oracle.embeddings, `${what}: embeddings`);
  same(lite.uris, oracle.uris, `${what}: uris`);
}

interface QueryRow {
  id: string;
  distance: number | null | undefined;
  document: string | null | undefined;
  metadata: Record<string, unknown> | null | undefined;
  embedding: number[] | null | undefined;
  uri: string | null | undefined;
}

function queryRows(r: QueryLike, q: number): QueryRow[] {
  return (r.ids[q] ?? []).map((id, i) => ({
    id,
    distance: r.distances[q]?.[i],
    document: r.documents[q]?.[i],
    metadata: r.metadatas[q]?.[i],
    embedding: f32(r.embeddings[q]?.[i]),
    uri: r.uris[q]?.[i],
  }));
}

/**
 * Compares query results. Distances must agree to float32 tolerance position by position. Ids must
 * come in the same order; exact ties come back in insertion order on both. Two exceptions:
 * - a run of nearly tied distances that the two systems did not compute bit for bit alike (cosine
 *   rounds differently) may come in any order: its ids are compared as a set;
 * - in the last run of ties, when `nResults` cut the list short, which of the tied records make the
 *   cut is not compared: Chroma's HNSW keeps the most recently indexed ones there (it does not follow
 *   insertion order), chromalite the first inserted. Both are correct answers.
 */
export function compareQuery(lite: QueryLike, oracle: QueryLike, what: string, nResults = 10): void {
  same(sortedInclude(lite.include), sortedInclude(oracle.include), `${what}: include`);
  same(lite.ids.length, oracle.ids.length, `${what}: number of result lists`);
  const withDistances = oracle.include.includes("distances");
  for (let q = 0; q < oracle.ids.length; q++) {
    const a = queryRows(lite, q);
    const b = queryRows(oracle, q);
    const label = `${what}: query ${q}`;
    same(a.length, b.length, `${label}: number of results (ids ${JSON.stringify(a.map((r) => r.id))} vs ${JSON.stringify(b.map((r) => r.id))})`);
    if (!withDistances) {
      // Without distances there is no way to tell ties apart: the ids must match exactly.
      same(a.map((r) => r.id), b.map((r) => r.id), `${label}: ids`);
    }
    for (let i = 0; withDistances && i < b.length; i++) {
      const da = a[i]!.distance;
      const db = b[i]!.distance;
      if (typeof da !== "number" || typeof db !== "number" || !closeEnough(da, db)) {
        same(a.map((r) => [r.id, r.distance]), b.map((r) => [r.id, r.distance]), `${label}: distances at ${i}`);
      }
    }
    let start = 0;
    while (withDistances && start < b.length) {
      let end = start + 1;
      while (end < b.length && closeEnough(b[end]!.distance!, b[end - 1]!.distance!)) end++;
      const groupA = a.slice(start, end);
      const groupB = b.slice(start, end);
      const exact = groupB.every(
        (r, i) => Math.fround(r.distance!) === Math.fround(groupB[0]!.distance!) && Math.fround(groupA[i]!.distance!) === Math.fround(r.distance!),
      );
      const cut = end === b.length && b.length === nResults;
      if (cut) {
        // the distances matched above; which tied records made the cut may differ
      } else if (exact || end - start === 1) {
        same(groupA.map((r) => r.id), groupB.map((r) => r.id), `${label}: ids at ${start}..${end - 1} (all: ${JSON.stringify(a.map((r) => r.id))} vs ${JSON.stringify(b.map((r) => r.id))})`);
      } else {
        same(groupA.map((r) => r.id).sort(), groupB.map((r) => r.id).sort(), `${label}: tied ids at ${start}..${end - 1}`);
      }
      start = end;
    }
    const byId = new Map(a.map((r) => [r.id, r]));
    for (const row of b) {
      const mine = byId.get(row.id);
      if (!mine) continue;
      same({ ...mine, distance: 0, embedding: 0 }, { ...row, distance: 0, embedding: 0 }, `${label}: fields of ${row.id}`);
      sameVectors([mine.embedding], [row.embedding], `${label}: embedding of ${row.id}`);
    }
  }
}

const showOutcome = <T>(o: Outcome<T>) => (o.ok ? "succeeded" : `failed as ${o.kind} (${o.error.slice(0, 400)})`);

/** Both succeed or both fail, and with the same class of error (never "other": see ErrorKind). */
export function compareOutcome<T>(lite: Outcome<T>, oracle: Outcome<T>, what: string): void {
  if (lite.ok !== oracle.ok || (!lite.ok && !oracle.ok && (lite.kind !== oracle.kind || lite.kind === "other"))) {
    throw new Mismatch(`${what}: chromalite ${showOutcome(lite)} but Chroma ${showOutcome(oracle)}`);
  }
}

/** Both succeed (a call that must work on both, whose results are compared next): the two values. */
export function bothOk<T>(lite: Outcome<T>, oracle: Outcome<T>, what: string): [T, T] {
  if (!lite.ok || !oracle.ok) throw new Mismatch(`${what}: expected both to succeed; chromalite ${showOutcome(lite)}, Chroma ${showOutcome(oracle)}`);
  return [lite.value, oracle.value];
}

/** Both succeed or both fail alike, and the outcome is `expected` (an independent statement of what is valid). */
export function expectOutcome<T>(lite: Outcome<T>, oracle: Outcome<T>, expected: "ok" | ErrorKind, what: string): void {
  compareOutcome(lite, oracle, what);
  const got = lite.ok ? "ok" : lite.kind;
  if (got !== expected) throw new Mismatch(`${what}: both ${got === "ok" ? "succeeded" : `failed as ${got}`}, expected ${expected}`);
}

/** The full content of a collection on both sides, compared. */
export async function compareContents(lite: LooseCollection, oracle: LooseCollection, what: string): Promise<void> {
  const include = ["documents", "metadatas", "embeddings", "uris"];
  const [a, b] = await Promise.all([lite.get({ include }), oracle.get({ include })]);
  compareGet(a, b, `${what}: contents`);
  const [ca, cb] = await Promise.all([lite.count(), oracle.count()]);
  same(ca, cb, `${what}: count`);
}

/**
 * Deletes, on the oracle, the metadata keys that `metadatas` sets to null, with a raw request (the
 * official client would drop the nulls; see the open differences at the top of this file).
 */
export async function deleteNullKeysOnOracle(
  oracleUrl: string,
  collectionId: string,
  ids: string[],
  metadatas: unknown[],
): Promise<void> {
  const targets: string[] = [];
  const patches: Record<string, null>[] = [];
  metadatas.forEach((m, i) => {
    if (m === null || typeof m !== "object") return;
    const nullKeys = Object.entries(m).filter(([, v]) => v === null).map(([k]) => k);
    if (nullKeys.length === 0) return;
    targets.push(ids[i]!);
    patches.push(Object.fromEntries(nullKeys.map((k) => [k, null])));
  });
  if (targets.length === 0) return;
  const url = `${oracleUrl}/api/v2/tenants/default_tenant/databases/default_database/collections/${collectionId}/update`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ids: targets, metadatas: patches }),
  });
  if (!res.ok) throw new Error(`raw update on the oracle failed: ${res.status} ${await res.text()}`);
}

/**
 * Compares the results of the same query on both sides (`args` as sent). A result without distances
 * cannot show its ties, so then the query is asked again, for the distances only.
 */
export async function compareQueryResults(
  mine: QueryLike,
  theirs: QueryLike,
  lite: LooseCollection,
  oracle: LooseCollection,
  args: Record<string, unknown>,
  what: string,
): Promise<void> {
  if (!theirs.include.includes("distances")) {
    same([...mine.include].sort(), [...theirs.include].sort(), `${what}: include`);
    const [da, db] = await onBoth(lite, oracle, (c) => c.query({ ...args, include: ["distances"] }));
    if (!da.ok || !db.ok) throw new Mismatch(`${what}: the same query with include: ["distances"] failed`);
    mine = { ...mine, distances: da.value.distances, include: [...mine.include, "distances"] };
    theirs = { ...theirs, distances: db.value.distances, include: [...theirs.include, "distances"] };
  }
  const nResults = typeof args.nResults === "number" ? args.nResults : 10;
  compareQuery(mine, theirs, what, nResults);
}
