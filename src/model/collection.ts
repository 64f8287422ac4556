/** Collection names, metadata and configuration: Chroma's validation rules and defaults. Pure. */
import { isIPv4 } from "node:net";
import { InvalidArgumentError } from "../errors.js";
import type { CollectionMetadata, EmbeddingFunctionConfiguration, HnswConfiguration, Space } from "../types.js";
import { validateMetadata } from "./records.js";
import { assertWellFormed } from "./text.js";

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
  if (!followsNameRule(name)) {
    throw new InvalidArgumentError(`Validation error: ${field}: ${NAME_RULE}. Got: ${name}`);
  }
  if (name.includes("..")) {
    throw new InvalidArgumentError(
      `Validation error: ${field}: Expected a name that does not contains two consecutive periods (..). Got ${name}`,
    );
  }
  if (isIPv4(name)) {
    throw new InvalidArgumentError(`Validation error: ${field}: Expected a name that is not a valid ip address. Got ${name}`);
  }
  return name;
}

/** Tenant and database names: non-empty, at most 512 characters, no path separators or control characters. */
export function validateScopeName(name: unknown, field: "tenant" | "database"): string {
  if (typeof name !== "string" || name.length === 0 || name.length > 512) {
    throw new InvalidArgumentError(`Validation error: ${field}: Expected a non-empty name of at most 512 characters`);
  }
  assertWellFormed(name, field);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f/\\]/.test(name)) {
    throw new InvalidArgumentError(
      `Validation error: ${field}: name must not contain control characters or path separators. Got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** Collection metadata: like record metadata, but never empty; null values are dropped. */
export function validateCollectionMetadata(metadata: unknown): CollectionMetadata | null {
  if (metadata === undefined || metadata === null) return null;
  const out = validateMetadata(metadata, "metadata", { allowEmpty: false, keepNulls: false });
  return Object.keys(out).length === 0 ? null : out;
}

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

/** Applies a `modify({configuration})` change; the space and build parameters cannot change. */
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
    if (key === "max_neighbors" && value !== current.max_neighbors) {
      throw new InvalidArgumentError(`'configuration.hnsw.max_neighbors' cannot be changed after creation`);
    }
    applyHnswValue(next, key, value, `configuration.hnsw.${key}`);
  }
  return next;
}
