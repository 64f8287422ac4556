/** JSON as the validators see it: one test for "an object", one way to quote a value in a message. */

import { WholeFloat } from "./numbers.js";

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array, not a number kept exactly (numbers.ts). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof WholeFloat);
}

/** A value as a message quotes it: its JSON text, or String(v) where it has none. */
export function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
