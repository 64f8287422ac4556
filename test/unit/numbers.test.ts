/**
 * Exact numbers (src/model/numbers.ts): JSON literals to their internal form and back, the fast path
 * agreeing with the exact one, and the plain view the public API gives. Also the lone-surrogate rule
 * (src/model/text.ts) that shares the request body's parse.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  floatText,
  hasInexactLiteral,
  numberFromLiteral,
  parseExactJson,
  parseLosslessJson,
  plainMetadata,
  stringifyExact,
  WholeFloat,
} from "../../src/model/numbers.js";
import { findLoneSurrogate, hasLoneSurrogate } from "../../src/model/text.js";

describe("numberFromLiteral", () => {
  it.each([
    ["7", 7],
    ["-7", -7],
    ["9007199254740991", 9007199254740991],
    ["9007199254740993", 9007199254740993n],
    ["-9223372036854775808", -9223372036854775808n],
    ["9223372036854775807", 9223372036854775807n],
    ["9223372036854775808", new WholeFloat(9223372036854775808, true)],
    ["2.5", 2.5],
    ["1.0", new WholeFloat(1)],
    ["-0.0", new WholeFloat(0)],
    ["1e3", new WholeFloat(1000)],
    ["1.5e-3", 0.0015],
    ["1e300", 1e300],
  ])("%s", (text, expected) => {
    expect(numberFromLiteral(text)).toEqual(expected);
  });
});

describe("exact JSON", () => {
  it("writes what it read, for any int64 and any float", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.double({ noNaN: true, noDefaultInfinity: true }), (i, f) => {
        const text = `{"i":${i},"f":${floatText(f)}}`;
        const value = parseExactJson(text) as { i: unknown; f: unknown };
        expect(stringifyExact(value)).toBe(stringifyExact(parseLosslessJson(text)));
        const again = parseExactJson(stringifyExact(value)) as { i: unknown; f: unknown };
        expect(again).toEqual(value);
        expect(BigInt(String(again.i))).toBe(i);
        // a float stays a float: its text has a point or an exponent
        expect(stringifyExact(again.f)).toMatch(/[.eE]/);
      }),
    );
  });

  it("takes the plain JSON.parse path only when no literal would change", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string())), (values) => {
        const text = JSON.stringify(values);
        if (!hasInexactLiteral(text)) expect(JSON.parse(text)).toEqual(parseLosslessJson(text));
      }),
    );
    expect(hasInexactLiteral('[0.1234567890123456789]')).toBe(false);
    expect(hasInexactLiteral('[12345678901234567]')).toBe(true);
    expect(hasInexactLiteral('{"a":1.0}')).toBe(true);
    expect(hasInexactLiteral('{"a":1e+21}')).toBe(true);
    expect(hasInexactLiteral('{"a":1.0,"metadata":{}}', 8)).toBe(false);
  });

  it("keeps the last of repeated keys, as JSON.parse does", () => {
    expect(parseLosslessJson('{"a":1.0,"a":2}')).toEqual(JSON.parse('{"a":1.0,"a":2}'));
  });

  it("gives the public API plain numbers", () => {
    const m = parseExactJson('{"big":9007199254740993,"f":1.0,"l":[1.5,2.0],"s":"x"}') as Record<string, unknown>;
    expect(plainMetadata(m)).toEqual({ big: 9007199254740992, f: 1, l: [1.5, 2], s: "x" });
    const plain = { a: 1, b: [1, 2] };
    expect(plainMetadata(plain)).toBe(plain);
  });
});

describe("lone surrogates", () => {
  it("are found in keys and values, pairs are not", () => {
    expect(hasLoneSurrogate("a\ud83d\ude00b")).toBe(false);
    expect(hasLoneSurrogate("a\ud83db")).toBe(true);
    expect(hasLoneSurrogate("\ude00")).toBe(true);
    expect(findLoneSurrogate({ ids: ["ok", "x\udc00"] })).toEqual({ path: "ids[1]", text: "x\udc00" });
    expect(findLoneSurrogate({ metadatas: [{ "k\ud800": 1 }] })?.path).toBe("metadatas[0].k\ud800");
    expect(findLoneSurrogate({ embeddings: [[1, 2]], documents: ["😀"] })).toBeUndefined();
  });
});
