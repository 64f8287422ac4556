/**
 * `where` and `whereDocument` semantics. The fixture and the expected id lists are the oracle's
 * (`get:where*` probes in ../shared/oracle/behaviour.json): records c, a, b, z, d added in that order.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type Collection, type Where, type WhereDocument } from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";

async function fixture(): Promise<Collection> {
  const { client } = tempClient();
  const c = await client.createCollection({ name: "filters" });
  await c.add({
    ids: ["c", "a", "b"],
    embeddings: [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ],
    documents: ["doc C hello world", "doc A Hello", "doc B foo bar"],
    metadatas: [
      { k: 3, s: "c", flag: true, f: 3.5 },
      { k: 1, s: "a", flag: false, f: 1 },
      { k: 2, s: "b", flag: true, f: 2.25 },
    ],
  });
  await c.add({
    ids: ["z", "d"],
    embeddings: [
      [1, 1, 0],
      [2, 0, 0],
    ],
    documents: ["doc Z", null],
    metadatas: [{ k: 26, s: "z" }, null],
  });
  return c;
}

async function idsWhere(c: Collection, where: Where): Promise<string[]> {
  return (await c.get({ where, include: [] })).ids;
}

async function idsWhereDocument(c: Collection, whereDocument: WhereDocument): Promise<string[]> {
  return (await c.get({ whereDocument, include: [] })).ids;
}

describe("where: metadata operators (oracle cases)", () => {
  const cases: [string, Where, string[]][] = [
    ["implicit $eq", { k: 1 }, ["a"]],
    ["$eq", { k: { $eq: 1 } }, ["a"]],
    ["$ne also matches records without the key", { k: { $ne: 1 } }, ["c", "b", "z", "d"]],
    ["$gt", { k: { $gt: 1 } }, ["c", "b", "z"]],
    ["$gte", { k: { $gte: 2 } }, ["c", "b", "z"]],
    ["$lt", { k: { $lt: 3 } }, ["a", "b"]],
    ["$lte", { k: { $lte: 2 } }, ["a", "b"]],
    ["$in", { k: { $in: [1, 3] } }, ["c", "a"]],
    ["$nin also matches records without the key", { k: { $nin: [1, 3] } }, ["b", "z", "d"]],
    ["string $eq", { s: "a" }, ["a"]],
    ["string $in", { s: { $in: ["a", "z"] } }, ["a", "z"]],
    ["bool $eq", { flag: true }, ["c", "b"]],
    ["bool $ne matches false and missing", { flag: { $ne: true } }, ["a", "z", "d"]],
    ["float key compared with an int", { f: 1 }, ["a"]],
    ["int key compared with a float", { k: { $gt: 1.5 } }, ["c", "b", "z"]],
    ["float range on a float key", { f: { $gte: 2.25 } }, ["c", "b"]],
    ["$and", { $and: [{ k: { $gte: 1 } }, { s: { $ne: "b" } }] }, ["c", "a", "z"]],
    ["$or", { $or: [{ k: 1 }, { s: "z" }] }, ["a", "z"]],
    ["$and with one element", { $and: [{ k: 1 }] }, ["a"]],
    ["nested $or in $and", { $and: [{ $or: [{ k: 1 }, { k: 26 }] }, { s: { $ne: "z" } }] }, ["a"]],
    ["missing key", { nokey: 1 }, []],
    ["$ne on a missing key matches everything", { nokey: { $ne: 1 } }, ["c", "a", "b", "z", "d"]],
    ["$ne with a value nobody has", { k: { $ne: 99 } }, ["c", "a", "b", "z", "d"]],
    ["$nin with values nobody has", { k: { $nin: [99] } }, ["c", "a", "b", "z", "d"]],
    ["bool is not equal to int 1", { flag: 1 }, []],
    ["int is not equal to bool true", { k: true }, []],
    ["string '1' is not equal to int 1", { k: "1" }, []],
    ["$contains on a scalar string matches nothing", { s: { $contains: "a" } }, []],
  ];
  it.each(cases)("%s", async (_label, where, expected) => {
    const c = await fixture();
    expect(await idsWhere(c, where)).toEqual(expected);
  });
});

describe("where: array metadata", () => {
  async function withArrays(): Promise<Collection> {
    const c = await fixture();
    await c.add({
      ids: ["ma", "mb"],
      embeddings: [
        [1, 1, 1],
        [2, 2, 2],
      ],
      metadatas: [
        { tags: ["x", "y"], nums: [1, 2], bools: [true] },
        { tags: ["y"], nums: [2.5], bools: [false] },
      ],
    });
    return c;
  }

  it("$contains matches arrays holding the value", async () => {
    const c = await withArrays();
    expect(await idsWhere(c, { tags: { $contains: "x" } })).toEqual(["ma"]);
    expect(await idsWhere(c, { tags: { $contains: "y" } })).toEqual(["ma", "mb"]);
    expect(await idsWhere(c, { nums: { $contains: 2 } })).toEqual(["ma"]);
    expect(await idsWhere(c, { nums: { $contains: 2.5 } })).toEqual(["mb"]);
    expect(await idsWhere(c, { bools: { $contains: false } })).toEqual(["mb"]);
  });

  it("$not_contains matches every record whose array lacks the value, including records without the key", async () => {
    const c = await withArrays();
    expect(await idsWhere(c, { tags: { $not_contains: "x" } })).toEqual(["c", "a", "b", "z", "d", "mb"]);
  });

  it("$eq never matches an array value", async () => {
    const c = await withArrays();
    expect(await idsWhere(c, { tags: "x" })).toEqual([]);
    expect(await idsWhere(c, { nums: 1 })).toEqual([]);
  });

  it("$contains with the wrong element type matches nothing", async () => {
    const c = await withArrays();
    expect(await idsWhere(c, { nums: { $contains: "1" } })).toEqual([]);
    expect(await idsWhere(c, { bools: { $contains: 1 } })).toEqual([]);
  });

  it("filters follow metadata updates", async () => {
    const c = await withArrays();
    await c.update({ ids: ["ma"], metadatas: [{ tags: ["z"] }] });
    expect(await idsWhere(c, { tags: { $contains: "x" } })).toEqual([]);
    expect(await idsWhere(c, { tags: { $contains: "z" } })).toEqual(["ma"]);
    await c.update({ ids: ["a"], metadatas: [{ k: null }] });
    expect(await idsWhere(c, { k: 1 })).toEqual([]);
    expect(await idsWhere(c, { k: { $ne: 1 } })).toContain("a");
  });
});

describe("whereDocument", () => {
  const cases: [string, WhereDocument, string[]][] = [
    ["$contains is case-sensitive (Hello)", { $contains: "Hello" }, ["a"]],
    ["$contains is case-sensitive (hello)", { $contains: "hello" }, ["c"]],
    ["$not_contains also matches null documents", { $not_contains: "hello" }, ["a", "b", "z", "d"]],
    ["$regex", { $regex: "^doc [AB]" }, ["a", "b"]],
    ["$not_regex also matches null documents", { $not_regex: "B" }, ["c", "a", "z", "d"]],
    ["$and", { $and: [{ $contains: "doc" }, { $contains: "foo" }] }, ["b"]],
    ["$or", { $or: [{ $contains: "foo" }, { $contains: "world" }] }, ["c", "b"]],
    ["empty string matches every record that has a document", { $contains: "" }, ["c", "a", "b", "z"]],
    ["$not_contains of the empty string matches only null documents", { $not_contains: "" }, ["d"]],
    ["$regex never matches a null document", { $regex: ".*" }, ["c", "a", "b", "z"]],
    ["regex metacharacters in $contains are literal", { $contains: "o." }, []],
    ["case-insensitive regex flag", { $regex: "(?i)HELLO" }, ["c", "a"]],
  ];
  it.each(cases)("%s", async (_label, whereDocument, expected) => {
    const c = await fixture();
    expect(await idsWhereDocument(c, whereDocument)).toEqual(expected);
  });

  it("combines with where (AND)", async () => {
    const c = await fixture();
    const r = await c.get({ where: { k: { $gte: 2 } }, whereDocument: { $contains: "doc" }, include: [] });
    expect(r.ids).toEqual(["c", "b", "z"]);
  });

  it("follows document updates", async () => {
    const c = await fixture();
    await c.update({ ids: ["d"], embeddings: [[2, 0, 0]], documents: ["now with hello"] });
    expect(await idsWhereDocument(c, { $contains: "hello" })).toEqual(["c", "d"]);
    expect(await idsWhereDocument(c, { $contains: "" })).toEqual(["c", "a", "b", "z", "d"]);
  });
});

describe("filters combined with ids, limit and offset", () => {
  it("ids and where intersect, in insertion order", async () => {
    const c = await fixture();
    const r = await c.get({ ids: ["z", "a", "b", "nope"], where: { k: { $lt: 20 } }, include: [] });
    expect(r.ids).toEqual(["a", "b"]);
  });

  it("limit and offset page through the filtered records", async () => {
    const c = await fixture();
    const r = await c.get({ where: { k: { $ne: 1 } }, limit: 2, offset: 1, include: [] });
    expect(r.ids).toEqual(["b", "z"]);
  });
});

describe("invalid filters are rejected with InvalidArgumentError", () => {
  const badWhere: [string, unknown][] = [
    ["empty object", {}],
    ["two keys at the top level", { k: 1, s: "a" }],
    ["unknown operator", { k: { $foo: 1 } }],
    ["two operators on one key", { k: { $gt: 1, $lt: 3 } }],
    ["nested object value", { k: { x: 1 } }],
    ["$in with a non-array", { k: { $in: 1 } }],
    ["$in empty", { k: { $in: [] } }],
    ["$in mixed types", { k: { $in: [1, "a"] } }],
    ["$nin empty", { k: { $nin: [] } }],
    ["null value", { k: null }],
    ["string operand for $gt", { s: { $gt: "a" } }],
    ["bool operand for $lte", { flag: { $lte: true } }],
    ["$and with an object", { $and: { k: 1 } }],
    ["$and empty", { $and: [] }],
    ["$or empty", { $or: [] }],
    ["unknown logical operator", { $not: [{ k: 1 }] }],
    ["bad child in $or", { $or: [{ k: 1 }, {}] }],
    ["array value", { k: [1, 2] }],
    ["NaN operand", { k: { $eq: Number.NaN } }],
    ["not an object", "k"],
  ];
  it.each(badWhere)("where: %s", async (_label, where) => {
    const c = await fixture();
    const err = await c.get({ where: where as Where }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe("INVALID_ARGUMENT");
  });

  const badWhereDocument: [string, unknown][] = [
    ["empty object", {}],
    ["unknown operator", { $foo: "x" }],
    ["$matches (not an operator)", { $matches: "doc" }],
    ["non-string $contains", { $contains: 1 }],
    ["two operators", { $contains: "a", $regex: "b" }],
    ["invalid regex", { $regex: "([" }],
    ["invalid regex in $not_regex", { $not_regex: "(" }],
    ["$and with an object", { $and: { $contains: "a" } }],
    ["$or empty", { $or: [] }],
    ["bad child", { $and: [{ $contains: "a" }, { $bogus: "b" }] }],
  ];
  it.each(badWhereDocument)("whereDocument: %s", async (_label, whereDocument) => {
    const c = await fixture();
    await expect(c.get({ whereDocument: whereDocument as WhereDocument })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("query and delete validate filters the same way and change nothing", async () => {
    const c = await fixture();
    await expect(c.query({ queryEmbeddings: [[1, 0, 0]], where: { k: { $in: [] } } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(c.delete({ where: { k: 1, s: "a" } as unknown as Where })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.delete({ whereDocument: { $regex: "([" } })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.count()).toBe(5);
  });
});
