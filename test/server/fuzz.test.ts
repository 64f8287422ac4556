/**
 * Fuzzing the HTTP API with fast-check: random JSON to every route, and hostile variations of valid
 * write bodies (each with one thing certainly wrong). Every answer is a client error or success,
 * never a 5xx; the server stays alive; and nothing is written: the data is exactly as before.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TD, request, startChromalite, type ChromaliteTarget } from "./helpers.js";

let target: ChromaliteTarget;
let id: string;
let before: string;

/** Everything the fuzzing could change: tenants' databases, collections and their records. */
async function state(): Promise<string> {
  const collections = await request(target.url, "GET", `${TD}/collections`);
  const records = await request(target.url, "POST", `${TD}/collections/${id}/get`, { include: ["documents", "metadatas", "embeddings"] });
  const databases = await request(target.url, "GET", "/api/v2/tenants/default_tenant/databases");
  return JSON.stringify([collections.body, records.body, databases.body]);
}

beforeAll(async () => {
  target = await startChromalite();
  const created = await request(target.url, "POST", `${TD}/collections`, { name: "fuzz" });
  id = (created.body as { id: string }).id;
  await request(target.url, "POST", `${TD}/collections/${id}/add`, {
    ids: ["a", "b", "c"],
    embeddings: [[1, 0], [0, 1], [1, 1]],
    documents: ["alpha", "beta", "gamma"],
    metadatas: [{ k: 1 }, { k: 2 }, { k: "x" }],
  });
  before = await state();
});

afterAll(() => target.close());

const col = () => `${TD}/collections/${id}`;

/** Routes and methods, with the real collection or a made-up one. */
const route = fc.constantFrom(
  ["POST", "/add"],
  ["POST", "/upsert"],
  ["POST", "/update"],
  ["POST", "/delete"],
  ["POST", "/get"],
  ["POST", "/query"],
  ["POST", "/search"],
  ["GET", "/count"],
  // Not PUT (modify): `{}` is a valid modify, which counts as a change of the collection (its version).
  ["POST", "/fork"],
  ["POST", "COLLECTIONS"],
  ["POST", "TENANTS"],
  ["POST", "DATABASES"],
  ["POST", "RESET"],
);

function pathOf(r: readonly string[]): string {
  const suffix = r[1]!;
  if (suffix === "COLLECTIONS") return `${TD}/collections`;
  if (suffix === "TENANTS") return "/api/v2/tenants";
  if (suffix === "DATABASES") return "/api/v2/tenants/default_tenant/databases";
  if (suffix === "RESET") return "/api/v2/reset";
  return `${col()}${suffix}`;
}

/** A raw body: JSON text, or bytes that are not (broken UTF-8, truncated, deep). */
type Body = { text: string | Buffer; contentType: string };

const deep = (n: number, open: string, close: string) => `${open.repeat(n)}${close.repeat(n)}`;

const hostileRaw: fc.Arbitrary<Body> = fc.oneof(
  fc.string().map((text) => ({ text, contentType: "application/json" })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ text: Buffer.from(bytes), contentType: "application/json" })),
  fc.jsonValue().map((v) => ({ text: Buffer.concat([Buffer.from(JSON.stringify(v).slice(0, 1)), Buffer.from([0xc3, 0x28])]), contentType: "application/json" })),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ text: deep(n, "[", "]"), contentType: "application/json" })),
  fc.integer({ min: 200, max: 5_000 }).map((n) => ({ text: `{"ids":${deep(n, "[", "]")}}`, contentType: "application/json" })),
  fc.jsonValue().map((v) => ({ text: JSON.stringify(v), contentType: "text/plain" })),
);

/** A valid add/upsert/update body with one thing certainly wrong. */
const brokenWrite: fc.Arbitrary<Body> = fc
  .tuple(
    fc.constantFrom(
      (b: Record<string, unknown>) => ({ ...b, ids: [1] }),
      (b: Record<string, unknown>) => ({ ...b, ids: [""] }),
      (b: Record<string, unknown>) => ({ ...b, ids: ["z1", "z1"] }),
      (b: Record<string, unknown>) => ({ ...b, embeddings: [[1, 2, 3]] }),
      (b: Record<string, unknown>) => ({ ...b, embeddings: [["x", 1]] }),
      (b: Record<string, unknown>) => ({ ...b, embeddings: [] }),
      (b: Record<string, unknown>) => ({ ...b, metadatas: [{ k: { nested: 1 } }] }),
      (b: Record<string, unknown>) => ({ ...b, metadatas: [{ $bad: 1 }] }),
      (b: Record<string, unknown>) => ({ ...b, metadatas: [{ k: [1, "x"] }] }),
      (b: Record<string, unknown>) => ({ ...b, documents: [123] }),
      (b: Record<string, unknown>) => ({ ...b, documents: ["a", "b"] }),
      (b: Record<string, unknown>) => ({ ...b, ids: "z1" }),
    ),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  )
  .map(([breakIt, extra]) => ({
    text: JSON.stringify(breakIt({ ...extra, ids: ["z1"], embeddings: [[0.5, 0.5]], documents: ["d"], metadatas: [{ k: 3 }] })),
    contentType: "application/json",
  }));

/** Filters of every shape, most invalid, some hostile by size: as JSON text (a deep one as an object would overflow fast-check's printing). */
const hostileFilter: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 100, max: 3000 }).map((n) => `${'{"$and":['.repeat(n)}{"k":1}${"]}".repeat(n)}`),
  fc.integer({ min: 501, max: 3000 }).map((n) => JSON.stringify({ $or: Array.from({ length: n }, (_, i) => ({ k: { $gt: i } })) })),
  fc.constantFrom({ $contains: "x".repeat(70_000) }, { $regex: "(".repeat(50) }, { $regex: "a".repeat(3000) }, { $regex: "[" }).map((v) => JSON.stringify(v)),
);

async function send(method: string, path: string, body: Body | undefined): Promise<number> {
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: body ? { "content-type": body.contentType } : {},
    body: body && method !== "GET" ? body.text : undefined,
  });
  await res.text();
  return res.status;
}

describe("HTTP API fuzz", () => {
  it("random JSON bodies on every route: never a 5xx (501 for what is not offered), nothing written", async () => {
    await fc.assert(
      fc.asyncProperty(route, fc.jsonValue({ maxDepth: 4 }), async (r, value) => {
        const status = await send(r[0], pathOf(r), { text: JSON.stringify(value), contentType: "application/json" });
        expect(status === 501 || status < 500).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(await state()).toBe(before);
  }, 120_000);

  it("hostile bodies (broken bytes, deep nesting, broken write bodies) get a 4xx and change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/add", "/upsert", "/update"),
        fc.oneof(hostileRaw, brokenWrite),
        async (suffix, body) => {
          const status = await send("POST", `${col()}${suffix}`, body);
          expect(status).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    expect(await state()).toBe(before);
  }, 120_000);

  it("hostile where / where_document in get, query and delete: a 4xx or an answer, never a 5xx, nothing deleted", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/get", "/query", "/delete"),
        fc.constantFrom("where", "where_document"),
        hostileFilter,
        async (suffix, key, filter) => {
          const rest = { ...(suffix === "/query" ? { query_embeddings: [[1, 0]] } : {}), ...(suffix === "/delete" ? { ids: ["none"] } : {}) };
          const text = JSON.stringify({ ...rest, [key]: "<filter>" }).replace('"<filter>"', () => filter);
          const status = await send("POST", `${col()}${suffix}`, { text, contentType: "application/json" });
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect(await state()).toBe(before);
    const beat = await request(target.url, "GET", "/api/v2/heartbeat");
    expect(beat.status).toBe(200);
  }, 120_000);
});
