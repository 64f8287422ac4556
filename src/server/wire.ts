/**
 * Decoding of request bodies and query strings. Shape errors (a missing field, a wrong type, an
 * unknown enum value) answer 422 as Chroma's serde layer does; value errors are left to the model's
 * validators, which answer 400 like Chroma's validation layer.
 *
 * Why hand-written and not a JSON Schema validator (ajv) or zod: the 422 answers must be Chroma's
 * own words, which clients and the differential tests compare (`ids[0]: invalid type: integer \`1\`,
 * expected a string`, `data did not match any variant of untagged enum EmbeddingsPayload`, `unknown
 * variant \`x\`, expected one of ...`). They name serde's type words (sequence, map, u32, usize, f64,
 * struct HnswConfiguration), the first offending element of an array, and which check comes first;
 * a validator's errors would have to be translated back case by case, which is this file again plus
 * a dependency. The schemas in openapi-schemas.ts describe the same shapes for /openapi.json, and
 * test/server/openapi.test.ts checks the two agree (examples accepted, required fields required).
 */
import { InvalidArgumentError } from "../errors.js";
import type { EmbeddingFunctionConfiguration, HnswConfiguration, Include, Metadata, MetadataValue } from "../types.js";
import { checkOneVectorIndex, hnswFromSpann, SPANN_KEYS } from "../model/collection.js";
import { INCLUDE_VALUES } from "../model/include.js";
import { isObject, type JsonObject } from "../model/json.js";
import { floatText, isNumberValue, WholeFloat } from "../model/numbers.js";
import { decodeEmbedding } from "../util/float32.js";
import { payloadError, type HttpError } from "./errors.js";

/** serde's wording for the JSON type of a value: `integer \`1\``, `string "x"`, `sequence`, ... */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return `integer \`${v}\``;
  if (v instanceof WholeFloat) return `floating point \`${floatText(v.value)}\``;
  if (Array.isArray(v)) return "sequence";
  switch (typeof v) {
    case "string":
      return `string ${JSON.stringify(v)}`;
    case "boolean":
      return `boolean \`${String(v)}\``;
    case "number":
      return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
    case "object":
      return "map";
    default:
      return typeof v;
  }
}

function invalidType(path: string, v: unknown, expected: string): HttpError {
  return payloadError(path, `invalid type: ${describe(v)}, expected ${expected}`);
}

/** The body must be a JSON object (Chroma: "expected struct ..."). */
export function expectObject(body: unknown): JsonObject {
  if (!isObject(body)) throw invalidType("", body, "a JSON object");
  return body;
}

export function requireField(body: JsonObject, name: string): unknown {
  const v = body[name];
  if (v === undefined) throw payloadError("", `missing field \`${name}\``);
  return v;
}

export function stringField(body: JsonObject, name: string): string {
  const v = requireField(body, name);
  if (typeof v !== "string") throw invalidType(name, v, "a string");
  return v;
}

export function optString(body: JsonObject, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalidType(name, v, "a string");
  return v;
}

/** A boolean that may be absent but, as in Chroma, not null. */
export function optBool(body: JsonObject, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw invalidType(name, v, "a boolean");
  return v;
}

const U32_MAX = 0xffff_ffff;

export function optU32(body: JsonObject, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw invalidType(name, v, "u32");
  if (v < 0 || v > U32_MAX) throw payloadError(name, `invalid value: integer \`${v}\`, expected u32`);
  return v;
}

export function stringArray(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) throw invalidType(path, v, "a sequence");
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== "string") throw invalidType(`${path}[${i}]`, v[i], "a string");
  }
  return v as string[];
}

export function optStringArray(body: JsonObject, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  return stringArray(v, name);
}

/** Documents and uris: a list whose entries may be null ("none"). */
export function optNullableStringArray(body: JsonObject, name: string): (string | null)[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalidType(name, v, "a sequence");
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== null && typeof v[i] !== "string") throw invalidType(`${name}[${i}]`, v[i], "a string");
  }
  return v as (string | null)[];
}

/** `where` / `where_document`: any JSON object, checked by the filter parser; null means none. */
export function optFilter(body: JsonObject, name: string): unknown {
  const v = body[name];
  return v === null ? undefined : v;
}

// ------------------------------------------------------------------ include

/** `include`: absent → the defaults; null or an unknown value → 422, as in Chroma. */
export function parseInclude(body: JsonObject, defaults: readonly Include[]): Include[] {
  const v = body.include;
  if (v === undefined) return [...defaults];
  if (!Array.isArray(v)) throw invalidType("include", v, "a sequence");
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== "string") throw invalidType(`include[${i}]`, item, "a string");
    if (!INCLUDE_VALUES.includes(item as Include)) {
      throw payloadError(
        `include[${i}]`,
        `unknown variant \`${item}\`, expected one of ${INCLUDE_VALUES.map((x) => `\`${x}\``).join(", ")}`,
      );
    }
  }
  return v as Include[];
}

// ------------------------------------------------------------------ embeddings

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A base64 string of little-endian float32 values, as the official clients send embeddings. */
export function decodeBase64Embedding(text: string): Float32Array {
  // Node's decoder skips characters it does not know, so the text is checked first: a text that
  // encodes back to itself is standard padded base64 (two native passes, ~10x faster than the
  // regex on a 384-d embedding); only one that does not (non-zero padding bits) meets the regex.
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text && !BASE64.test(text)) {
    throw new InvalidArgumentError(`Invalid base64 string: expected standard padded base64, got ${JSON.stringify(text.slice(0, 32))}`);
  }
  if (bytes.byteLength % 4 !== 0) {
    throw new InvalidArgumentError(
      `Invalid byte length: ${bytes.byteLength} bytes cannot be converted to f32 values (must be divisible by 4)`,
    );
  }
  return decodeEmbedding(bytes);
}

/**
 * Embeddings as arrays of numbers or base64 strings (one form per list, as Chroma's untagged enum).
 * Numbers are only type-checked here; finiteness and dimensions are checked by `validateEmbeddings`.
 * `nullEntries` (update): null entries are returned as `undefined`.
 */
export function decodeEmbeddings(
  v: unknown,
  path: string,
  opts: { nullEntries: boolean },
): (Float32Array | number[] | undefined)[] {
  const mismatch = () => payloadError(path, "data did not match any variant of untagged enum EmbeddingsPayload");
  if (!Array.isArray(v)) throw mismatch();
  const out = new Array<Float32Array | number[] | undefined>(v.length);
  let form: "array" | "base64" | undefined;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (e === null && opts.nullEntries) {
      out[i] = undefined;
      continue;
    }
    if (typeof e === "string") {
      if (form === "array") throw mismatch();
      form = "base64";
      out[i] = decodeBase64Embedding(e);
    } else if (Array.isArray(e)) {
      if (form === "base64") throw mismatch();
      form = "array";
      for (const x of e) if (typeof x !== "number") throw mismatch();
      out[i] = e as number[];
    } else {
      throw mismatch();
    }
  }
  return out;
}

// ------------------------------------------------------------------ metadata

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "boolean" || isNumberValue(v);
}

/** The scalar type, numbers of every exact form (model/numbers.ts) being one. */
const scalarType = (v: unknown): string => (isNumberValue(v) ? "number" : typeof v);

/**
 * One metadata map as Chroma's server reads it: scalar values, arrays of one scalar type, and (where
 * `allowNull`) null to delete a key. Empty arrays carry no type: Chroma drops those keys, and so do we.
 * Nested objects and mixed arrays are 422; keys that are empty or start with `$`/`#` are 400.
 */
export function decodeMetadata(
  v: unknown,
  path: string,
  opts: { allowNull: boolean; keyError: () => Error },
): Metadata {
  if (!isObject(v)) throw invalidType(path, v, "a map");
  const out: Metadata = {};
  for (const [key, value] of Object.entries(v)) {
    if (key.length === 0 || key.startsWith("$") || key.startsWith("#")) throw opts.keyError();
    const mismatch = () => payloadError(`${path}.${key}`, "data did not match any variant of untagged enum MetadataValue");
    if (value === null) {
      if (!opts.allowNull) throw mismatch();
      out[key] = null;
    } else if (isScalar(value)) {
      out[key] = value;
    } else if (Array.isArray(value)) {
      if (value.length === 0) continue;
      const first = scalarType(value[0]);
      if (!value.every((x) => isScalar(x) && scalarType(x) === first)) throw mismatch();
      out[key] = value as MetadataValue;
    } else {
      throw mismatch();
    }
  }
  return out;
}

/** `metadatas` of a record batch: a list of maps or nulls. */
export function decodeMetadatas(body: JsonObject, allowNull: boolean): (Metadata | null)[] | undefined {
  const v = body.metadatas;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalidType("metadatas", v, "a sequence");
  return v.map((m: unknown, i) =>
    m === null
      ? null
      : decodeMetadata(m, `metadatas[${i}]`, {
          allowNull,
          keyError: () => new InvalidArgumentError(`Validation error: metadatas: Invalid metadata at index ${i}`),
        }),
  );
}

/** Collection metadata (`metadata` on create, `new_metadata` on modify); `{}` is refused as Chroma does. */
export function decodeCollectionMetadata(body: JsonObject, name: string, allowNull: boolean): Metadata | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  const metadata = decodeMetadata(v, name, {
    allowNull,
    keyError: () => new InvalidArgumentError(`Validation error: ${name}: Invalid metadata key`),
  });
  if (isObject(v) && Object.keys(v).length === 0) {
    throw new InvalidArgumentError(`Validation error: ${name}: Metadata cannot be empty`);
  }
  return metadata;
}

// ------------------------------------------------------------------ configuration

const CREATE_HNSW_KEYS = ["space", "ef_construction", "ef_search", "max_neighbors", "num_threads", "resize_factor", "sync_threshold", "batch_size"];
const UPDATE_HNSW_KEYS = ["ef_search", "max_neighbors", "num_threads", "resize_factor", "sync_threshold", "batch_size"];
const SPACES = ["l2", "cosine", "ip"];
const EF_TYPES = ["legacy", "known", "unknown"];

function decodeHnsw(v: unknown, path: string, keys: string[]): HnswConfiguration | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidType(path, v, "struct HnswConfiguration");
  for (const [key, value] of Object.entries(v)) {
    if (!keys.includes(key)) {
      throw payloadError(`${path}.${key}`, `unknown field \`${key}\`, expected one of ${keys.map((k) => `\`${k}\``).join(", ")}`);
    }
    if (key === "space" && value !== null && !SPACES.includes(value as string)) {
      if (typeof value !== "string") throw invalidType(`${path}.space`, value, "a string");
      throw payloadError(`${path}.space`, `unknown variant \`${value}\`, expected one of \`l2\`, \`cosine\`, \`ip\``);
    }
    if (key !== "space" && value !== null && typeof value !== "number") {
      throw invalidType(`${path}.${key}`, value, key === "resize_factor" ? "f64" : "usize");
    }
    // The counts are usize in Chroma: a fraction or a negative number is a shape error (422) there.
    if (key !== "space" && key !== "resize_factor" && typeof value === "number") {
      if (!Number.isInteger(value)) throw invalidType(`${path}.${key}`, value, "usize");
      if (value < 0) throw payloadError(`${path}.${key}`, `invalid value: integer \`${value}\`, expected usize`);
    }
  }
  return v;
}

/** `spann`: checked as Chroma's struct; a single node keeps only its space, for HNSW (model/collection.ts). */
function decodeSpann(v: unknown, path: string): HnswConfiguration | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidType(path, v, "struct SpannConfiguration");
  for (const [key, value] of Object.entries(v)) {
    if (!SPANN_KEYS.includes(key)) {
      throw payloadError(`${path}.${key}`, `unknown field \`${key}\`, expected one of ${SPANN_KEYS.map((k) => `\`${k}\``).join(", ")}`);
    }
    if (key === "space" && value !== null && !SPACES.includes(value as string)) {
      if (typeof value !== "string") throw invalidType(`${path}.space`, value, "a string");
      throw payloadError(`${path}.space`, `unknown variant \`${value}\`, expected one of \`l2\`, \`cosine\`, \`ip\``);
    }
    if (key !== "space" && value !== null && (typeof value !== "number" || !Number.isInteger(value) || value < 0)) {
      throw typeof value === "number" && Number.isInteger(value)
        ? payloadError(`${path}.${key}`, `invalid value: integer \`${value}\`, expected usize`)
        : invalidType(`${path}.${key}`, value, "usize");
    }
  }
  return hnswFromSpann(v);
}

function decodeEmbeddingFunction(v: unknown, path: string): EmbeddingFunctionConfiguration | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (!isObject(v)) throw invalidType(path, v, "internally tagged enum EmbeddingFunctionConfiguration");
  const type = v.type;
  if (type === undefined) throw payloadError(path, "missing field `type`");
  if (typeof type !== "string" || !EF_TYPES.includes(type)) {
    throw payloadError(`${path}.type`, `unknown variant \`${typeof type === "string" ? type : JSON.stringify(type)}\`, expected one of \`legacy\`, \`known\`, \`unknown\``);
  }
  if (type === "known") {
    if (typeof v.name !== "string") throw payloadError(path, "missing field `name`");
    if (v.config !== undefined && !isObject(v.config)) throw invalidType(`${path}.config`, v.config, "a map");
    return { type: "known", name: v.name, config: v.config ?? {} };
  }
  // "unknown" is stored as Chroma sends it; chromalite never runs embedding functions server-side.
  return { type: type as "legacy" };
}

export interface CreateConfiguration {
  hnsw: HnswConfiguration | undefined;
  embeddingFunction: EmbeddingFunctionConfiguration | null | undefined;
}

/** `configuration` of a create request. `spann` alone stands for HNSW in its space, as on a single-node Chroma. */
export function decodeCreateConfiguration(body: JsonObject): CreateConfiguration {
  const v = body.configuration;
  if (v === undefined || v === null) return { hnsw: undefined, embeddingFunction: undefined };
  if (!isObject(v)) throw invalidType("configuration", v, "struct CollectionConfiguration");
  checkOneVectorIndex(v, "Multiple vector index configurations provided");
  return {
    hnsw: decodeHnsw(v.hnsw, "configuration.hnsw", CREATE_HNSW_KEYS) ?? decodeSpann(v.spann, "configuration.spann"),
    embeddingFunction: decodeEmbeddingFunction(v.embedding_function, "configuration.embedding_function"),
  };
}

/** `new_configuration` of a modify request. */
export function decodeUpdateConfiguration(body: JsonObject): CreateConfiguration {
  const v = body.new_configuration;
  if (v === undefined || v === null) return { hnsw: undefined, embeddingFunction: undefined };
  if (!isObject(v)) throw invalidType("new_configuration", v, "struct UpdateCollectionConfiguration");
  checkOneVectorIndex(v, "Multiple vector index configurations provided");
  return {
    hnsw: decodeHnsw(v.hnsw, "new_configuration.hnsw", UPDATE_HNSW_KEYS),
    embeddingFunction: decodeEmbeddingFunction(v.embedding_function, "new_configuration.embedding_function") ?? undefined,
  };
}

// ------------------------------------------------------------------ query strings

/** `limit` / `offset` in a query string; an empty value counts as absent (some clients send `limit=`). */
export function queryU32(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  if (v === null || v === "") return undefined;
  if (!/^\d+$/.test(v) || Number(v) > U32_MAX) {
    throw new InvalidArgumentError(`Failed to deserialize query string: ${name}: invalid digit found in string`);
  }
  return Number(v);
}

// ------------------------------------------------------------------ names and ids

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(id: string): boolean {
  return UUID.test(id);
}
