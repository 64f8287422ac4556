/**
 * The export format: JSON Lines. A file header, then per collection a header line and one line per
 * record, then an end line with the totals (so a truncated file is told apart from a complete one):
 *
 *   {"type":"chromalite-export","version":1,"chromalite":"0.1.0","tenant":"default_tenant","database":"default_database"}
 *   {"type":"collection","name":"docs","id":"…","metadata":{…},"configuration":{"hnsw":{…},"embedding_function":null},"dimension":3,"count":2}
 *   {"collection":"docs","id":"a","embedding":[0.1,0.2,0.3],"document":"…","metadata":{…},"uri":null}
 *   {"type":"end","collections":1,"records":2}
 *
 * Embeddings are written in their shortest float32 form, so they read back bit for bit.
 */
import readline from "node:readline";
import { InvalidArgumentError } from "../../errors.js";
import { isObject } from "../../model/json.js";
import { validateMetadata } from "../../model/records.js";
import type { CollectionMetadata, EmbeddingFunctionConfiguration, Metadata } from "../../types.js";
import { formatF32 } from "../../util/float32.js";
import type { CollectionSpec, RecordPage } from "./types.js";

export const FORMAT = "chromalite-export";
export const FORMAT_VERSION = 1;

export function fileHeaderLine(info: { chromalite: string; tenant: string; database: string }): string {
  return `${JSON.stringify({ type: FORMAT, version: FORMAT_VERSION, ...info })}\n`;
}

export function collectionLine(spec: CollectionSpec): string {
  const { name, id, metadata, configuration, dimension, count } = spec;
  return `${JSON.stringify({ type: "collection", name, id, metadata, configuration, dimension, count })}\n`;
}

/** The lines of a page of records, built by hand so that each float is written once, in float32 form. */
export function recordLines(collection: string, page: RecordPage): string {
  const name = JSON.stringify(collection);
  let out = "";
  for (let i = 0; i < page.ids.length; i++) {
    const e = page.embeddings[i]!;
    let vector = "";
    for (let j = 0; j < e.length; j++) {
      const x = e[j]!;
      // -0 keeps its sign bit: the file reads back bit for bit.
      vector += (j === 0 ? "" : ",") + (Object.is(x, -0) ? "-0" : formatF32(x));
    }
    out +=
      `{"collection":${name},"id":${JSON.stringify(page.ids[i])},"embedding":[${vector}],` +
      `"document":${JSON.stringify(page.documents[i] ?? null)},"metadata":${JSON.stringify(page.metadatas[i] ?? null)},` +
      `"uri":${JSON.stringify(page.uris[i] ?? null)}}\n`;
  }
  return out;
}

export function endLine(collections: number, records: number): string {
  return `${JSON.stringify({ type: "end", collections, records })}\n`;
}

export type JsonlEvent =
  | { kind: "file"; line: number; version: number; tenant?: string; database?: string }
  | { kind: "collection"; line: number; spec: CollectionSpec }
  | {
      kind: "record";
      line: number;
      collection: string;
      id: string;
      embedding: Float32Array;
      document: string | null;
      metadata: Metadata | null;
      uri: string | null;
    }
  | { kind: "end"; line: number; collections: number; records: number };

function fail(line: number, message: string): never {
  throw new InvalidArgumentError(`line ${line}: ${message}`);
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

function optionalString(obj: Record<string, unknown>, key: string, line: number): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") fail(line, `'${key}' must be a string or null, got ${typeName(v)}`);
  return v;
}

function optionalCount(obj: Record<string, unknown>, key: string, line: number, min: number): number | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(line, `'${key}' must be an integer >= ${min} or null`);
  return v;
}

function parseCollection(obj: Record<string, unknown>, line: number): CollectionSpec {
  if (typeof obj.name !== "string" || obj.name.length === 0) fail(line, "a collection line needs a 'name'");
  let metadata: CollectionMetadata | null = null;
  if (obj.metadata !== undefined && obj.metadata !== null) {
    if (!isObject(obj.metadata)) fail(line, `'metadata' must be an object or null, got ${typeName(obj.metadata)}`);
    metadata = obj.metadata as CollectionMetadata;
  }
  const configuration = obj.configuration ?? {};
  if (!isObject(configuration)) fail(line, `'configuration' must be an object, got ${typeName(configuration)}`);
  const hnsw = configuration.hnsw ?? null;
  if (hnsw !== null && !isObject(hnsw)) fail(line, `'configuration.hnsw' must be an object or null`);
  const ef = configuration.embedding_function ?? null;
  if (ef !== null && !(isObject(ef) && ["known", "legacy", "custom"].includes(ef.type as string))) {
    fail(line, `'configuration.embedding_function' must be null or an object with type known, legacy or custom`);
  }
  if (isObject(ef) && ef.type === "known" && (typeof ef.name !== "string" || !isObject(ef.config ?? {}))) {
    fail(line, `'configuration.embedding_function' of type known needs a 'name' and a 'config' object`);
  }
  return {
    name: obj.name,
    id: typeof obj.id === "string" ? obj.id : undefined,
    metadata,
    configuration: {
      hnsw,
      embedding_function: ef as EmbeddingFunctionConfiguration | null,
    },
    dimension: optionalCount(obj, "dimension", line, 1),
    count: optionalCount(obj, "count", line, 0),
  };
}

function parseRecord(obj: Record<string, unknown>, line: number): Extract<JsonlEvent, { kind: "record" }> {
  if (typeof obj.collection !== "string") fail(line, "a record line needs 'collection' (the name in its collection line)");
  if (typeof obj.id !== "string" || obj.id.length === 0) fail(line, "'id' must be a non-empty string");
  const e = obj.embedding;
  if (!Array.isArray(e) || e.length === 0) fail(line, `'embedding' must be a non-empty array of numbers, got ${typeName(e)}`);
  const embedding = new Float32Array(e.length);
  for (let i = 0; i < e.length; i++) {
    const x: unknown = e[i];
    if (typeof x !== "number" || !Number.isFinite(x)) fail(line, `'embedding[${i}]' must be a finite number, got ${JSON.stringify(x)}`);
    embedding[i] = x;
  }
  let metadata: Metadata | null = null;
  if (obj.metadata !== undefined && obj.metadata !== null) {
    try {
      metadata = validateMetadata(obj.metadata, "metadata", { allowEmpty: true, keepNulls: false });
    } catch (err) {
      fail(line, (err as Error).message);
    }
  }
  return {
    kind: "record",
    line,
    collection: obj.collection,
    id: obj.id,
    embedding,
    document: optionalString(obj, "document", line),
    metadata,
    uri: optionalString(obj, "uri", line),
  };
}

/** Parses one line; throws InvalidArgumentError naming the line when it is not a valid one. */
export function parseLine(text: string, line: number): JsonlEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(line, `not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) fail(line, `expected a JSON object, got ${typeName(value)}`);
  switch (value.type) {
    case undefined:
      return parseRecord(value, line);
    case "collection":
      return { kind: "collection", line, spec: parseCollection(value, line) };
    case FORMAT: {
      if (typeof value.version !== "number") fail(line, "the file header has no 'version'");
      if (value.version > FORMAT_VERSION) {
        fail(line, `written in format version ${value.version} by a newer chromalite; this one reads up to ${FORMAT_VERSION}`);
      }
      return {
        kind: "file",
        line,
        version: value.version,
        ...(typeof value.tenant === "string" ? { tenant: value.tenant } : {}),
        ...(typeof value.database === "string" ? { database: value.database } : {}),
      };
    }
    case "end": {
      const collections = optionalCount(value, "collections", line, 0);
      const records = optionalCount(value, "records", line, 0);
      if (collections === null || records === null) fail(line, "the end line needs 'collections' and 'records'");
      return { kind: "end", line, collections, records };
    }
    default:
      fail(line, `unknown line type ${JSON.stringify(value.type)}`);
  }
}

/** The events of a JSONL stream, one line at a time (blank lines are skipped). */
export async function* readJsonl(input: NodeJS.ReadableStream): AsyncGenerator<JsonlEvent> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      if (text.trim() === "") continue;
      yield parseLine(n === 1 ? text.replace(/^\uFEFF/, "") : text, n);
    }
  } finally {
    lines.close();
  }
}
