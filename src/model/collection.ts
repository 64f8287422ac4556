/** Collection names, metadata and configuration: Chroma's validation rules and defaults. Pure. */
import { isIPv4 } from "node:net";
import { InvalidArgumentError } from "../errors.js";
import type { CollectionMetadata, EmbeddingFunctionConfiguration, HnswConfiguration, Space } from "../types.js";
import { validateMetadata } from "./records.js";

/** The HNSW settings a collection keeps, with Chroma's defaults. */
export interface HnswSettings {
  space: Space;
  ef_construction: number;
  ef_search: number;
  max_neighbors: number;
  resize_factor: number;
  sync_threshold: number;
}

export interface StoredConfiguration {
  hnsw: HnswSettings;
  spann: null;
  embedding_function: EmbeddingFunctionConfiguration | null;
}

export const DEFAULT_HNSW: Readonly<HnswSettings> = Object.freeze({
  space: "l2",
  ef_construction: 100,
  ef_search: 100,
  max_neighbors: 16,
  resize_factor: 1.2,
  sync_threshold: 1000,
});

/** Chroma's rule for collection names (and, over HTTP, database names), in its words. */
export const NAME_RULE =
  "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]";
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/;

/** True when `name` follows {@link NAME_RULE}. */
export function followsNameRule(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** Validates a collection name as Chroma does; `field` names the argument in the message. */
export function validateCollectionName(name: unknown, field = "name"): string {
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`Validation error: ${field}: ${NAME_RULE}. Got: ${String(name)}`);
  }
  const problem = nameProblem(name);
  if (problem) throw new InvalidArgumentError(`Validation error: ${field}: ${problem}`);
  return name;
}

/** What is wrong with `name` under Chroma's name rule (collections and new databases), or undefined. */
function nameProblem(name: string): string | undefined {
  if (!followsNameRule(name)) return `${NAME_RULE}. Got: ${name}`;
  if (name.includes("..")) return `Expected a name that does not contains two consecutive periods (..). Got ${name}`;
  if (isIPv4(name)) return `Expected a name that is not a valid ip address. Got ${name}`;
  return undefined;
}

/**
 * A new database's name, as Chroma's server checks it: the collection-name rule, or two such names
 * joined by one `+` (Chroma's "topology" prefix, e.g. `us+prod`), at most 512 characters in all.
 */
export function validateDatabaseName(name: unknown): string {
  if (typeof name !== "string") throw new InvalidArgumentError(`${NAME_RULE}. Got: ${String(name)}`);
  const plus = name.indexOf("+");
  if (plus >= 0) {
    if (name.length > 512) throw new InvalidArgumentError(`Expected a name containing 3-512 characters. Got: ${name.length}`);
    const [topology, rest] = [name.slice(0, plus), name.slice(plus + 1)];
    if (rest.includes("+")) throw new InvalidArgumentError("Expected a name to contain at most one topology:  Got two `+` characters.");
    const problem = nameProblem(topology) ?? nameProblem(rest);
    if (problem) throw new InvalidArgumentError(problem);
    return name;
  }
  const problem = nameProblem(name);
  if (problem) throw new InvalidArgumentError(problem);
  return name;
}

/**
 * The database a collection call names (an existing one is looked up next). Chroma's server reads
 * it as at least 3 characters and answers 400 otherwise, whatever the call.
 */
export function checkDatabaseRef(name: unknown): string {
  if (typeof name !== "string" || [...name].length < 3) {
    throw new InvalidArgumentError("database name must be at least 3 characters");
  }
  return name;
}

/**
 * A new tenant's name. Chroma asks only for 3 or more characters (so `a/b` and 600-character names
 * are tenants there, and here: a tenant is a label in SQLite, never a path on disk).
 */
export function validateTenantName(name: unknown): string {
  if (typeof name !== "string" || [...name].length < 3) {
    throw new InvalidArgumentError(
      `Validation error: name: tenant name must be at least 3 characters. Got: ${typeof name === "string" ? JSON.stringify(name) : String(name)}`,
    );
  }
  return name;
}

/** A tenant or database a client is pointed at: any string (it is checked when a call uses it, as in Chroma). */
export function validateScopeRef(name: unknown, field: "tenant" | "database"): string {
  if (typeof name !== "string") throw new InvalidArgumentError(`Expected '${field}' to be a string, got ${typeof name}`);
  return name;
}

/** Collection metadata: like record metadata, but never empty; null values are dropped. */
export function validateCollectionMetadata(metadata: unknown): CollectionMetadata | null {
  if (metadata === undefined || metadata === null) return null;
  const out = validateMetadata(metadata, "metadata", { allowEmpty: false, keepNulls: false });
  return Object.keys(out).length === 0 ? null : out;
}

/**
 * Collection metadata as the official client sends it: it drops null (and undefined) values first,
 * so metadata holding nothing else reaches Chroma as `{}`, which is refused.
 */
export function clientCollectionMetadata(metadata: unknown): unknown {
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return metadata;
  const values = Object.values(metadata);
  if (values.length > 0 && values.every((v) => v === null || v === undefined)) {
    throw new InvalidArgumentError("Validation error: metadata: Metadata cannot be empty");
  }
  return metadata;
}

/** Chroma takes one vector index configuration: `hnsw` or `spann` (chromalite builds HNSW either way). */
export function checkOneVectorIndex(configuration: { hnsw?: unknown; spann?: unknown } | null | undefined, message: string): void {
  if (configuration?.hnsw && configuration?.spann) throw new InvalidArgumentError(message);
}

/**
 * The HNSW settings a `spann` configuration stands for on a single-node Chroma, which builds HNSW and
 * keeps only spann's `space` (its other settings are for Chroma's distributed index).
 */
export function hnswFromSpann(spann: unknown): HnswConfiguration | undefined {
  if (spann === undefined || spann === null) return undefined;
  if (typeof spann !== "object" || Array.isArray(spann)) throw new InvalidArgumentError("Expected 'configuration.spann' to be an object");
  for (const [key, value] of Object.entries(spann)) {
    if (!SPANN_KEYS.includes(key)) {
      throw new InvalidArgumentError(`Unknown field 'configuration.spann.${key}', expected one of ${SPANN_KEYS.join(", ")}`);
    }
    if (key !== "space" && value !== undefined && value !== null) positiveInt(value, `configuration.spann.${key}`, 0);
  }
  const space = (spann as { space?: unknown }).space;
  if (space === undefined || space === null) return undefined;
  if (typeof space !== "string" || !SPACES.includes(space as Space)) {
    throw new InvalidArgumentError(`Expected 'configuration.spann.space' to be one of l2, cosine, ip, but got ${JSON.stringify(space)}`);
  }
  return { space: space as Space };
}

/** The fields of Chroma's `spann` configuration. */
export const SPANN_KEYS: readonly string[] = [
  "search_nprobe", "write_nprobe", "space", "ef_construction", "ef_search", "max_neighbors", "reassign_neighbor_count",
  "split_threshold", "merge_threshold",
];

const SPACES: readonly Space[] = ["l2", "cosine", "ip"];
const CREATE_KEYS = ["space", "ef_construction", "ef_search", "max_neighbors", "num_threads", "batch_size", "sync_threshold", "resize_factor"];
const UPDATE_KEYS = ["ef_search", "num_threads", "batch_size", "sync_threshold", "resize_factor", "max_neighbors"];

function positiveInt(v: unknown, field: string, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(`Expected '${field}' to be an integer >= ${min}, but got ${String(v)}`);
  }
  return v;
}

function applyHnswValue(target: HnswSettings, key: string, value: unknown, field: string): void {
  switch (key) {
    case "space":
      if (typeof value !== "string" || !SPACES.includes(value as Space)) {
        throw new InvalidArgumentError(`Expected '${field}' to be one of l2, cosine, ip, but got ${String(value)}`);
      }
      target.space = value as Space;
      return;
    case "ef_construction":
      target.ef_construction = positiveInt(value, field);
      return;
    case "ef_search":
      target.ef_search = positiveInt(value, field);
      return;
    case "max_neighbors":
      target.max_neighbors = positiveInt(value, field, 2);
      return;
    case "sync_threshold":
      target.sync_threshold = positiveInt(value, field, 2);
      return;
    case "resize_factor":
      if (typeof value !== "number" || !(value > 1)) {
        throw new InvalidArgumentError(`Expected '${field}' to be a number > 1, but got ${String(value)}`);
      }
      target.resize_factor = value;
      return;
    case "num_threads":
    case "batch_size":
      // Accepted for compatibility; chromalite indexes on the main thread in bounded slices.
      positiveInt(value, field);
      return;
  }
}

const LEGACY_KEYS: Record<string, string> = {
  "hnsw:space": "space",
  "hnsw:construction_ef": "ef_construction",
  "hnsw:search_ef": "ef_search",
  "hnsw:M": "max_neighbors",
  "hnsw:num_threads": "num_threads",
  "hnsw:resize_factor": "resize_factor",
  "hnsw:batch_size": "batch_size",
  "hnsw:sync_threshold": "sync_threshold",
};

/**
 * Resolves the HNSW settings of a new collection from `configuration.hnsw` and, as Chroma still does,
 * from legacy `hnsw:*` keys in its metadata (the configuration wins where both are given).
 */
export function resolveCreateHnsw(
  hnsw: HnswConfiguration | null | undefined,
  metadata: CollectionMetadata | null,
  defaultSpace?: Space,
): HnswSettings {
  const settings: HnswSettings = { ...DEFAULT_HNSW };
  if (defaultSpace) settings.space = defaultSpace;
  if (metadata) {
    // Chroma reads every `hnsw:` key of a new collection's metadata as a setting: unknown ones fail.
    const unknown = Object.keys(metadata).find((k) => k.startsWith("hnsw:") && !Object.hasOwn(LEGACY_KEYS, k));
    if (unknown !== undefined) {
      throw new InvalidArgumentError(
        `Failed to parse hnsw parameters from segment metadata: unknown key '${unknown}' (expected one of ${Object.keys(LEGACY_KEYS).join(", ")})`,
      );
    }
    for (const [legacy, key] of Object.entries(LEGACY_KEYS)) {
      if (legacy in metadata) applyHnswValue(settings, key, metadata[legacy], `metadata.${legacy}`);
    }
  }
  if (hnsw !== undefined && hnsw !== null) {
    if (typeof hnsw !== "object" || Array.isArray(hnsw)) {
      throw new InvalidArgumentError(`Expected 'configuration.hnsw' to be an object`);
    }
    for (const [key, value] of Object.entries(hnsw)) {
      if (value === undefined || value === null) continue;
      if (!CREATE_KEYS.includes(key)) {
        throw new InvalidArgumentError(
          `Unknown field 'configuration.hnsw.${key}', expected one of ${CREATE_KEYS.join(", ")}`,
        );
      }
      applyHnswValue(settings, key, value, `configuration.hnsw.${key}`);
    }
  }
  return settings;
}

/**
 * Applies a `modify({configuration})` change; the space and ef_construction cannot change. A new
 * max_neighbors is stored and reported, as in Chroma; a graph already built keeps the value it was
 * built with, and graphs built from then on (a rebuild) use the new one.
 */
export function applyHnswUpdate(current: HnswSettings, update: unknown): HnswSettings {
  if (update === undefined || update === null) return current;
  if (typeof update !== "object" || Array.isArray(update)) {
    throw new InvalidArgumentError(`Expected 'configuration.hnsw' to be an object`);
  }
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined || value === null) continue;
    if (!UPDATE_KEYS.includes(key)) {
      throw new InvalidArgumentError(
        `Unknown field 'configuration.hnsw.${key}', expected one of ${UPDATE_KEYS.join(", ")} (the space and ef_construction are fixed when the collection is created)`,
      );
    }
    applyHnswValue(next, key, value, `configuration.hnsw.${key}`);
  }
  return next;
}
