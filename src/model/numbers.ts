/**
 * Numbers as Chroma keeps them: int64 integers and float64 floats, two types. A JavaScript `number`
 * carries neither exactly: an integer beyond 2^53 loses digits, and a float with a whole value (`1.0`)
 * becomes the integer `1`. Where chromalite sees JSON text (request bodies, its own storage) it
 * keeps both, with two internal forms beside plain numbers:
 * - `bigint` for an integer outside the safe range (within int64; SQLite binds it as INTEGER, so
 *   filters compare it exactly);
 * - {@link WholeFloat} for a float whose value is whole.
 * Everything else is a plain `number`: a whole one is an integer, any other a float, as the
 * official JS client sends them. The public API hands out plain numbers only ({@link plainValue}).
 */
import { parse as parseLossless, stringify as stringifyLossless } from "lossless-json";

/** A float with a whole value (`1.0`), which a `number` would turn into an integer. */
export class WholeFloat {
  /**
   * @param value the number
   * @param intLiteral written as an integer literal outside int64 (`10000000000000000000`): Chroma
   *   stores such a metadata value as a float and refuses it in a `where`.
   */
  constructor(
    readonly value: number,
    readonly intLiteral = false,
  ) {}
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const INTEGER_LITERAL = /^-?\d+$/;

/** The internal form of a JSON number literal. */
export function numberFromLiteral(text: string): number | bigint | WholeFloat {
  // + 0 turns -0 into 0: Chroma's storage (SQLite) keeps no negative zero in metadata either.
  const x = Number(text) + 0;
  if (INTEGER_LITERAL.test(text)) {
    if (Number.isSafeInteger(x)) return x;
    const b = BigInt(text);
    return b >= I64_MIN && b <= I64_MAX ? b : new WholeFloat(x, true);
  }
  // JavaScript writes whole numbers below 1e21 without a point or exponent: those need the marker.
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? new WholeFloat(x) : x;
}

/**
 * Literals that JSON.parse would not carry exactly: an integer of 16 or more digits (not the digits
 * of a fraction), a fraction of zeros (`1.0`), a positive exponent (`1e3`). Only text holding one of
 * them takes the slower exact parser. (A false alarm, such as "2.0" inside a string, only costs time.)
 */
const INEXACT_LITERAL = /[[,:]\s*-?\d{16}|\.0+(?![0-9])|[eE]\+?[0-9]/g;

/**
 * JSON.parse, keeping int64 integers and whole floats ({@link numberFromLiteral}). Only the text from
 * `exactFrom` on is looked at for such literals (a caller that knows where the fields it keeps
 * exactly start saves scanning the rest); -1: none, plain JSON.parse.
 */
export function parseExactJson(text: string, exactFrom = 0): unknown {
  return hasInexactLiteral(text, exactFrom) ? parseLosslessJson(text) : JSON.parse(text);
}

/** True when the text from `from` on (-1: none of it) may hold a literal JSON.parse would change. */
export function hasInexactLiteral(text: string, from = 0): boolean {
  if (from < 0) return false;
  INEXACT_LITERAL.lastIndex = from;
  return INEXACT_LITERAL.test(text);
}

/** The exact parse: every number as {@link numberFromLiteral} makes it. */
export function parseLosslessJson(text: string): unknown {
  // A repeated key keeps its last value, as JSON.parse does (lossless-json would throw).
  return parseLossless(text, null, { parseNumber: numberFromLiteral, onDuplicateKey: ({ newValue }) => newValue });
}

/** The JSON text of a float: always with a point or an exponent, so that it reads back as a float. */
export function floatText(x: number): string {
  if (Object.is(x, -0)) return "-0.0";
  const s = String(x);
  return /[.eEn]/.test(s) ? s : `${s}.0`;
}

const STRINGIFIERS = [{ test: (v: unknown) => v instanceof WholeFloat, stringify: (v: unknown) => floatText((v as WholeFloat).value) }];

/** True when a JSON value holds a bigint or a {@link WholeFloat} anywhere. */
function holdsExact(v: unknown): boolean {
  if (typeof v === "bigint" || v instanceof WholeFloat) return true;
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) {
    for (const x of v) if (holdsExact(x)) return true;
    return false;
  }
  for (const k in v) if (holdsExact((v as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * JSON.stringify that writes bigints as integers and {@link WholeFloat}s as floats. A walk first
 * (cheap) decides: plain JSON.stringify, without a replacer call per value, for nearly every value.
 */
export function stringifyExact(value: unknown): string {
  if (holdsExact(value)) return stringifyLossless(value, null, undefined, STRINGIFIERS) ?? "null";
  return JSON.stringify(value) ?? "null";
}

/** A number of any internal form as a `number` (nearest double for a big integer), else undefined. */
export function numericValue(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof WholeFloat) return v.value;
  return undefined;
}

/** True for a number of any internal form. */
export function isNumberValue(v: unknown): v is number | bigint | WholeFloat {
  return typeof v === "number" || typeof v === "bigint" || v instanceof WholeFloat;
}

/** True for a float: a {@link WholeFloat}, or a number that is not whole (or is beyond int64). */
export function isFloatValue(v: unknown): boolean {
  return v instanceof WholeFloat || (typeof v === "number" && (!Number.isInteger(v) || Math.abs(v) >= 2 ** 63));
}

/** A metadata value as the public API shows it: numbers plain, arrays element by element. */
export function plainValue<T>(v: T): T {
  if (Array.isArray(v)) {
    const items = v as unknown[];
    for (const x of items) {
      if (typeof x === "bigint" || x instanceof WholeFloat) return items.map((y) => numericValue(y) ?? y) as T;
    }
    return v;
  }
  return (typeof v === "bigint" || v instanceof WholeFloat ? numericValue(v) : v) as T;
}

/** A metadata object as the public API shows it (the same object when nothing needs converting). */
export function plainMetadata<M extends Record<string, unknown> | null | undefined>(m: M): M {
  if (!m) return m;
  let out: Record<string, unknown> | undefined;
  for (const k in m) {
    const v = m[k];
    // Strings, booleans and plain numbers (nearly every value) are returned as they are, unchecked.
    if (typeof v !== "object" && typeof v !== "bigint") continue;
    const p = plainValue(v);
    if (p !== v) (out ??= { ...m })[k] = p;
  }
  return (out ?? m) as M;
}

/** Converts every number of a parsed body to a plain `number` (fields where exactness is not kept). */
export function plainNumbers(v: unknown): unknown {
  if (typeof v === "bigint" || v instanceof WholeFloat) return numericValue(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === "object" || typeof x === "bigint") v[i] = plainNumbers(x);
    }
    return v;
  }
  if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = plainNumbers(x);
  }
  return v;
}
