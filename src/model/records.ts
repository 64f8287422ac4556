/**
 * Validation of record batches (ids, embeddings, documents, metadatas, uris), with Chroma's rules and
 * messages that name the offending field and index. Pure, no I/O: a batch is checked whole before
 * anything is written, so a rejected batch changes nothing.
 */
import { InvalidArgumentError } from "../errors.js";
import type { Metadata, MetadataValue } from "../types.js";

/**
 * How strict to be. `client` adds the checks the official JS client makes before sending (unique ids,
 * non-empty lists, documents must be strings); `server` accepts what the Chroma server accepts.
 */
export type ValidationMode = "client" | "server";

export type WriteKind = "add" | "upsert" | "update";

/** A stored record as reads return it; `rid` is its row id (insertion order), the rest as given. */
export interface RecordRow {
  rid: number;
  id: string;
  embedding: Float32Array | null;
  document: string | null;
  metadata: Metadata | null;
  uri: string | null;
}

/** A validated batch. Optional columns are absent when not given; `undefined` entries mean "not given". */
export interface RecordBatch {
  ids: string[];
  embeddings?: Float32Array[];
  documents?: (string | null | undefined)[];
  metadatas?: (Metadata | null | undefined)[];
  uris?: (string | null | undefined)[];
}

export interface RawRecordBatch {
  ids: unknown;
  embeddings?: unknown;
  documents?: unknown;
  metadatas?: unknown;
  uris?: unknown;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function validateIds(ids: unknown, mode: ValidationMode, field = "ids"): string[] {
  if (!Array.isArray(ids)) {
    throw new InvalidArgumentError(`Expected '${field}' to be an array, but got ${typeName(ids)}`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (typeof id !== "string") {
      throw new InvalidArgumentError(`Expected '${field}[${i}]' to be a string, but got ${typeName(id)}`);
    }
    if (id.length === 0) {
      throw new InvalidArgumentError(`Empty ID at '${field}[${i}]': an ID must have at least one character`);
    }
  }
  if (mode === "client") {
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const id of ids as string[]) {
      if (seen.has(id)) duplicates.push(id);
      seen.add(id);
    }
    if (duplicates.length > 0) {
      const shown = duplicates.length <= 5 ? duplicates.join(", ") : `${duplicates.slice(0, 5).join(", ")}, ...`;
      throw new InvalidArgumentError(`Expected IDs to be unique, but found duplicates of ${shown}`);
    }
  }
  return ids as string[];
}

/**
 * Converts embeddings to float32 vectors and checks them: numbers only, finite, one dimension for the
 * whole batch, and (when known) the collection's dimension.
 */
export function validateEmbeddings(
  embeddings: unknown,
  expectedDimension: number | null,
  field = "embeddings",
): Float32Array[] {
  if (!Array.isArray(embeddings)) {
    throw new InvalidArgumentError(`Expected '${field}' to be an array, but got ${typeName(embeddings)}`);
  }
  const out: Float32Array[] = new Array<Float32Array>(embeddings.length);
  let dimension = -1;
  for (let i = 0; i < embeddings.length; i++) {
    const e: unknown = embeddings[i];
    let vector: Float32Array;
    if (Array.isArray(e)) {
      // The common case, kept to one tight loop: type, float32 range and finiteness checked at once
      // (x - x is 0 exactly for finite numbers).
      const source = e as unknown[];
      vector = new Float32Array(source.length);
      for (let j = 0; j < source.length; j++) {
        const x = source[j];
        if (typeof x !== "number") {
          throw new InvalidArgumentError(`Expected '${field}[${i}][${j}]' to be a number, but got ${typeName(x)}`);
        }
        const f = Math.fround(x);
        if (f - f !== 0) {
          throw new InvalidArgumentError(`Non-finite float value at ${field} index ${i}, position ${j}: ${String(x)}`);
        }
        vector[j] = f;
      }
    } else if (ArrayBuffer.isView(e) && !(e instanceof DataView)) {
      const source = e as unknown as ArrayLike<number>;
      vector = e instanceof Float32Array ? e : Float32Array.from(source);
      for (let j = 0; j < vector.length; j++) {
        const f = vector[j]!;
        if (f - f !== 0) {
          throw new InvalidArgumentError(`Non-finite float value at ${field} index ${i}, position ${j}: ${String(source[j])}`);
        }
      }
    } else {
      throw new InvalidArgumentError(`Expected '${field}[${i}]' to be an array of numbers, but got ${typeName(e)}`);
    }
    if (vector.length === 0) {
      throw new InvalidArgumentError(`Expected '${field}[${i}]' to be a non-empty array of numbers`);
    }
    if (dimension === -1) dimension = vector.length;
    else if (vector.length !== dimension) {
      throw new InvalidArgumentError(
        `Inconsistent dimensions in provided ${field}: index 0 has ${dimension}, index ${i} has ${vector.length}`,
      );
    }
    if (expectedDimension !== null && vector.length !== expectedDimension) {
      throw new InvalidArgumentError(
        `Collection expecting embedding with dimension of ${expectedDimension}, got ${vector.length} (at ${field}[${i}])`,
      );
    }
    out[i] = vector;
  }
  return out;
}

function isMetadataKeyValid(key: string): boolean {
  return key.length > 0 && !key.startsWith("$") && !key.startsWith("#");
}

/**
 * Checks one metadata object. `allowNull` lets values be null (update/upsert: delete the key; add:
 * dropped, as the official client drops them). Returns the metadata with null values removed unless
 * `keepNulls`.
 */
export function validateMetadata(
  metadata: unknown,
  where: string,
  opts: { allowEmpty: boolean; keepNulls: boolean },
): Metadata {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError(`Expected '${where}' to be an object, but got ${typeName(metadata)}`);
  }
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length === 0 && !opts.allowEmpty) {
    throw new InvalidArgumentError(`Expected '${where}' to be non-empty`);
  }
  const out: Metadata = {};
  for (const [key, value] of entries) {
    if (!isMetadataKeyValid(key)) {
      throw new InvalidArgumentError(
        `Invalid metadata key '${key}' in '${where}': keys must be non-empty and must not start with '$' or '#'`,
      );
    }
    // undefined is no value at all: the official client's JSON drops it, so it never deletes a key.
    if (value === undefined) continue;
    if (value === null) {
      if (opts.keepNulls) out[key] = null;
      continue;
    }
    if (typeof value === "string" || typeof value === "boolean") {
      out[key] = value;
      continue;
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new InvalidArgumentError(`Expected '${where}.${key}' to be a finite number, but got ${value}`);
      }
      out[key] = value;
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new InvalidArgumentError(`Expected metadata list value for key '${key}' in '${where}' to be non-empty`);
      }
      const first = typeof value[0];
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
          throw new InvalidArgumentError(
            `Expected metadata list value for key '${key}' in '${where}' to contain only strings, numbers, or booleans, got ${typeName(item)} at index ${i}`,
          );
        }
        if (typeof item !== first) {
          throw new InvalidArgumentError(
            `Expected metadata list value for key '${key}' in '${where}' to contain only the same type, got mixed types`,
          );
        }
        if (typeof item === "number" && !Number.isFinite(item)) {
          throw new InvalidArgumentError(`Expected '${where}.${key}[${i}]' to be a finite number, but got ${item}`);
        }
      }
      out[key] = value.slice() as MetadataValue;
      continue;
    }
    throw new InvalidArgumentError(
      `Expected metadata value for key '${key}' in '${where}' to be a string, number, boolean, typed array (string[], number[], boolean[]), or null, but got ${typeName(value)}`,
    );
  }
  return out;
}

/**
 * An upsert's or update's metadata merged into the stored one (`oldJson`), key by key; a null value
 * deletes its key. Null when nothing is left.
 */
export function mergeMetadata(oldJson: string | null, update: Metadata): Metadata | null {
  const merged: Metadata = oldJson ? (JSON.parse(oldJson) as Metadata) : {};
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return Object.keys(merged).length === 0 ? null : merged;
}

/** Record metadata keys Chroma keeps for itself (`chroma:document`, `chroma:uri`, ...). */
export const RESERVED_KEY_PREFIX = "chroma:";

/**
 * Chroma stores a record's document and uri as the metadata keys `chroma:document` and `chroma:uri`,
 * so a record's own `chroma:*` keys are not data there: `chroma:document` replaces the document,
 * `chroma:uri` the uri, others vanish (and a number under `chroma:document` is an internal error).
 * Stored here as plain keys they would change documents when copied to Chroma, so they are refused;
 * `where` on `chroma:document` / `chroma:uri` filters documents and uris as in Chroma (store/filter-sql.ts).
 */
function refuseReservedKeys(metadata: Metadata, index: number): Metadata {
  for (const key of Object.keys(metadata)) {
    if (key.startsWith(RESERVED_KEY_PREFIX)) {
      throw new InvalidArgumentError(
        `Invalid metadata key '${key}' in 'metadatas[${index}]': keys starting with '${RESERVED_KEY_PREFIX}' are reserved by Chroma (pass documents and uris in 'documents' and 'uris')`,
      );
    }
  }
  return metadata;
}

/** A new record's metadata: null values (which only delete keys of existing records) are dropped. */
export function dropNulls(metadata: Metadata): Metadata | null {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== null) out[k] = v;
  return Object.keys(out).length === 0 ? null : out;
}

function validateOptionalStrings(values: unknown, field: string): (string | null | undefined)[] {
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError(`Expected '${field}' to be an array, but got ${typeName(values)}`);
  }
  // null / undefined entries mean "no document" ("no uri"), which Chroma's data model allows.
  return values.map((v: unknown, i) => {
    if (typeof v === "string" || v === null || v === undefined) return v;
    throw new InvalidArgumentError(`Expected '${field}[${i}]' to be a string, but got ${typeName(v)}`);
  });
}

/**
 * Validates a write batch whole. `embeddingsRequired` is false when the caller will compute embeddings
 * from documents (an embedding function) or for `update`.
 */
export function validateRecordBatch(
  raw: RawRecordBatch,
  kind: WriteKind,
  opts: { mode: ValidationMode; dimension: number | null; maxBatchSize: number },
): RecordBatch {
  const ids = validateIds(raw.ids, opts.mode);
  const batch: RecordBatch = { ids };
  const lengths: [string, number][] = [["ids", ids.length]];
  if (raw.embeddings !== undefined && raw.embeddings !== null) {
    batch.embeddings = validateEmbeddings(raw.embeddings, opts.dimension);
    lengths.push(["embeddings", batch.embeddings.length]);
  }
  if (raw.documents !== undefined && raw.documents !== null) {
    batch.documents = validateOptionalStrings(raw.documents, "documents");
    lengths.push(["documents", batch.documents.length]);
  }
  if (raw.uris !== undefined && raw.uris !== null) {
    batch.uris = validateOptionalStrings(raw.uris, "uris");
    lengths.push(["uris", batch.uris.length]);
  }
  if (raw.metadatas !== undefined && raw.metadatas !== null) {
    if (!Array.isArray(raw.metadatas)) {
      throw new InvalidArgumentError(`Expected 'metadatas' to be an array, but got ${typeName(raw.metadatas)}`);
    }
    const keepNulls = kind !== "add";
    batch.metadatas = raw.metadatas.map((m: unknown, i) =>
      m === null || m === undefined
        ? m
        : refuseReservedKeys(validateMetadata(m, `metadatas[${i}]`, { allowEmpty: opts.mode === "server", keepNulls }), i),
    );
    lengths.push(["metadatas", batch.metadatas.length]);
  }
  if (opts.mode === "client") {
    const empty = lengths.filter(([, n]) => n === 0).map(([f]) => f);
    if (empty.length > 0) throw new InvalidArgumentError(`Non-empty lists are required for ${empty.join(", ")}`);
  }
  if (new Set(lengths.map(([, n]) => n)).size > 1) {
    throw new InvalidArgumentError(
      `Unequal lengths for fields ${lengths.map(([f, n]) => `${f} (${n})`).join(", ")}`,
    );
  }
  if (ids.length > opts.maxBatchSize) {
    throw new InvalidArgumentError(`Record set length ${ids.length} exceeds max batch size ${opts.maxBatchSize}`);
  }
  return batch;
}
