/**
 * A request's way in: the token it carries, its content type, its body read within the size limit
 * (refused when it is not UTF-8) and parsed as JSON, exactly where Chroma keeps numbers exact.
 */
import { isUtf8 } from "node:buffer";
import type http from "node:http";
import { AbortError } from "../errors.js";
import type { JsonObject } from "../model/json.js";
import { hasInexactLiteral, parseLosslessJson, plainNumbers } from "../model/numbers.js";
import { findLoneSurrogate } from "../model/text.js";
import { formatBytes } from "../util/format.js";
import { HttpError } from "./errors.js";
import { expectObject } from "./wire.js";

/** The token a request carries, from `x-chroma-token` or `Authorization: Bearer`. */
export function requestToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers["x-chroma-token"];
  if (typeof header === "string" && header.length > 0) return header;
  const authorization = req.headers.authorization;
  if (typeof authorization === "string") {
    const m = /^bearer\s+(.+)$/i.exec(authorization.trim());
    if (m) return m[1];
  }
  return undefined;
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]*\+json$/.test(type);
}

/** Reads the body up to `limit` bytes; past that, rejects with 413 and discards the rest. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(
      413,
      `Payload too large: the request body exceeds the server's limit of ${formatBytes(limit)} (${limit} bytes; maxBodyBytes / --max-body-mb)`,
      "ChromaError",
      { connection: "close" },
    );
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settled = true;
        req.off("data", onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (settled) return;
      settled = true;
      const body = Buffer.concat(chunks, size);
      // Invalid UTF-8 would be decoded to U+FFFD and stored as such: refused instead (simdutf check).
      if (!isUtf8(body)) reject(new HttpError(400, "The request body is not valid UTF-8: JSON bodies must be UTF-8 encoded"));
      else resolve(body);
    });
    req.once("error", (err) => {
      if (settled) return;
      settled = true;
      reject(new AbortError("the client aborted the request", { cause: err }));
    });
    req.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new AbortError("the client closed the connection before sending the whole body"));
    });
  });
}

/** A `\u` escape of a surrogate, paired or not: only then is the parsed body searched for lone ones. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The fields whose numbers are kept exactly (int64, whole floats: model/numbers.ts): metadata and
 * filters on it. Every other field (embeddings, limits, settings) gets plain numbers.
 */
const EXACT_FIELDS = new Set(["metadatas", "metadata", "new_metadata", "where"]);

/** Where the first of the exact fields' keys appears in the text (their numbers follow it), or -1. */
function exactFrom(text: string): number {
  const at = ['"metadata', '"new_metadata"', '"where"'].map((k) => text.indexOf(k)).filter((i) => i >= 0);
  return at.length === 0 ? -1 : Math.min(...at);
}

export function parseJsonBody(buffer: Buffer): JsonObject {
  let value: unknown;
  let exact = false;
  const text = buffer.toString("utf8");
  try {
    exact = hasInexactLiteral(text, exactFrom(text));
    value = exact ? parseLosslessJson(text) : JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Failed to parse the request body as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  // A lone surrogate can only arrive as a \u escape; Chroma's JSON parser refuses it, whatever the field.
  const bad = SURROGATE_ESCAPE.test(text) ? findLoneSurrogate(value) : undefined;
  if (bad) throw new HttpError(400, `Failed to parse the request body as JSON: ${bad.path}: lone surrogate in hex escape`);
  const body = expectObject(value);
  if (exact) for (const key of Object.keys(body)) if (!EXACT_FIELDS.has(key)) body[key] = plainNumbers(body[key]);
  return body;
}
