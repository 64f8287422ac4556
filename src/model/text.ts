/**
 * Strings must be well-formed Unicode. A lone surrogate (half of a UTF-16 pair, e.g. "\ud800") has no
 * UTF-8 form: SQLite would store it as U+FFFD bytes and it would read back changed. Chroma's server
 * refuses such a request whole ("Failed to parse the request body as JSON"); chromalite refuses it
 * before anything is written, in process and through its server.
 */
import { InvalidArgumentError } from "../errors.js";

/** In `u` mode a paired surrogate is one code point, so this matches lone halves only. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when `s` holds a lone surrogate. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** The message for a lone surrogate found at `field`. */
export function loneSurrogateMessage(s: string, field: string): string {
  const unit = LONE_SURROGATE.exec(s)?.[0].charCodeAt(0) ?? 0;
  return `Invalid string at '${field}': it holds a lone surrogate (\\u${unit.toString(16)}), which is not valid Unicode`;
}

/** Throws {@link InvalidArgumentError} when `s` holds a lone surrogate. */
export function assertWellFormed(s: string, field: string): void {
  if (LONE_SURROGATE.test(s)) throw new InvalidArgumentError(loneSurrogateMessage(s, field));
}

/**
 * The path of the first string (object key or value) in a parsed JSON value that holds a lone
 * surrogate, or undefined. For request bodies, checked whole before any field is read.
 */
export function findLoneSurrogate(value: unknown, path = ""): { path: string; text: string } | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? { path, text: value } : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "number") continue;
      const found = findLoneSurrogate(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return { path: at, text: key };
    const found = findLoneSurrogate(item, at);
    if (found) return found;
  }
  return undefined;
}
