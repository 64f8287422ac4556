/**
 * JSON Schemas (OpenAPI 3.1) of the request and response bodies of Chroma's API v2 as chromalite
 * serves it. They describe what the decoders in wire.ts accept and what json.ts writes; the OpenAPI
 * test sends each request body's example and each one without a required field, and checks the
 * server agrees (accepted; 422 "missing field").
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const strings: Schema = { type: "array", items: { type: "string" } };
const nullableStrings: Schema = { type: "array", items: { type: ["string", "null"] } };
const u32: Schema = { type: "integer", minimum: 0, maximum: 4294967295 };

const scalar: Schema = { type: ["string", "number", "boolean"] };
const metadataValue: Schema = {
  anyOf: [scalar, { type: "array", items: scalar, description: "all of one type; an empty array is dropped" }],
};

export const SCHEMAS: Record<string, Schema> = {
  Error: {
    type: "object",
    required: ["error", "message"],
    properties: {
      error: { type: "string", description: "InvalidArgumentError (400), NotFoundError (404), InternalError (500), ChromaError (others)" },
      message: { type: "string" },
    },
  },
  Metadata: {
    type: "object",
    description: "Keys must not be empty or start with `$` or `#`.",
    additionalProperties: metadataValue,
  },
  UpdateMetadata: {
    type: "object",
    description: "As Metadata; a null value deletes the key.",
    additionalProperties: { anyOf: [metadataValue, { type: "null" }] },
  },
  Embeddings: {
    description: "Arrays of numbers, or base64 strings of little-endian float32 values (one form per list).",
    anyOf: [
      { type: "array", items: { type: "array", items: { type: "number" } } },
      { type: "array", items: { type: "string", contentEncoding: "base64" } },
    ],
  },
  Where: { type: "object", description: "A metadata filter: `$eq $ne $gt $gte $lt $lte $in $nin $contains $not_contains`, `$and`, `$or`." },
  WhereDocument: { type: "object", description: "A document filter: `$contains $not_contains $regex $not_regex`, `$and`, `$or`." },
  Include: {
    type: "array",
    items: { type: "string", enum: ["distances", "documents", "embeddings", "metadatas", "uris"] },
  },
  HnswConfiguration: {
    type: "object",
    additionalProperties: false,
    properties: {
      space: { type: "string", enum: ["l2", "cosine", "ip"] },
      ef_construction: { type: "integer" },
      ef_search: { type: "integer" },
      max_neighbors: { type: "integer" },
      num_threads: { type: "integer" },
      resize_factor: { type: "number" },
      sync_threshold: { type: "integer" },
      batch_size: { type: "integer" },
    },
  },
  EmbeddingFunctionConfiguration: {
    type: "object",
    required: ["type"],
    properties: {
      type: { type: "string", enum: ["legacy", "known", "unknown"] },
      name: { type: "string", description: "required when type is `known`" },
      config: { type: "object" },
    },
  },
  CollectionConfiguration: {
    type: "object",
    properties: {
      hnsw: nullable(ref("HnswConfiguration")),
      spann: { description: "Chroma's other vector index; a single node builds HNSW in its `space` (its other fields are checked, not used); not together with hnsw" },
      embedding_function: nullable(ref("EmbeddingFunctionConfiguration")),
    },
  },
  Collection: {
    type: "object",
    required: ["id", "name", "configuration_json", "tenant", "database"],
    properties: {
      id: { type: "string", format: "uuid" },
      name: { type: "string" },
      configuration_json: { type: "object" },
      schema: { type: "object" },
      metadata: nullable(ref("Metadata")),
      dimension: { type: ["integer", "null"] },
      tenant: { type: "string" },
      database: { type: "string" },
      log_position: { type: "integer" },
      version: { type: "integer" },
    },
  },
  Database: {
    type: "object",
    required: ["id", "name", "tenant"],
    properties: { id: { type: "string", format: "uuid" }, name: { type: "string" }, tenant: { type: "string" } },
  },
  Tenant: { type: "object", required: ["name"], properties: { name: { type: "string" }, resource_name: { type: ["string", "null"] } } },
  GetResult: {
    type: "object",
    required: ["ids", "include"],
    properties: {
      ids: strings,
      embeddings: { type: ["array", "null"], items: { type: "array", items: { type: "number" } } },
      documents: { type: ["array", "null"], items: { type: ["string", "null"] } },
      uris: { type: ["array", "null"], items: { type: ["string", "null"] } },
      metadatas: { type: ["array", "null"], items: nullable(ref("Metadata")) },
      include: ref("Include"),
    },
  },
  QueryResult: {
    type: "object",
    required: ["ids", "include"],
    description: "One inner list per query embedding, nearest first.",
    properties: {
      ids: { type: "array", items: strings },
      embeddings: { type: ["array", "null"], items: { type: "array", items: { type: "array", items: { type: "number" } } } },
      documents: { type: ["array", "null"], items: nullableStrings },
      uris: { type: ["array", "null"], items: nullableStrings },
      metadatas: { type: ["array", "null"], items: { type: "array", items: nullable(ref("Metadata")) } },
      distances: { type: ["array", "null"], items: { type: "array", items: { type: "number" } } },
      include: ref("Include"),
    },
  },
  IndexingStatus: {
    type: "object",
    properties: {
      num_indexed_ops: { type: "integer" },
      num_unindexed_ops: { type: "integer" },
      total_ops: { type: "integer" },
      op_indexing_progress: { type: "number" },
    },
  },
  SearchResponse: {
    type: "object",
    description: "Per search: ids, documents, embeddings, metadatas, scores (lists of lists; null where not selected).",
  },
};

/** The documented request bodies: a schema and an example the server accepts. */
export interface BodyDoc {
  schema: Schema;
  /** A valid body (`{collection}` is replaced by a real collection id where a test needs one). */
  example: Record<string, unknown>;
}

const records = (embeddingsRequired: boolean, nullInMetadata: boolean): Schema => ({
  type: "object",
  required: embeddingsRequired ? ["ids", "embeddings"] : ["ids"],
  properties: {
    ids: strings,
    embeddings: embeddingsRequired ? ref("Embeddings") : nullable(ref("Embeddings")),
    documents: nullable(nullableStrings),
    uris: nullable(nullableStrings),
    metadatas: nullable({ type: "array", items: nullable(ref(nullInMetadata ? "UpdateMetadata" : "Metadata")) }),
  },
});

export const BODIES: Record<string, BodyDoc> = {
  CreateTenant: {
    schema: { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 3 } } },
    example: { name: "acme" },
  },
  UpdateTenant: {
    schema: { type: "object", required: ["resource_name"], properties: { resource_name: { type: "string" } } },
    example: { resource_name: "acme-resource" },
  },
  CreateDatabase: {
    schema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    example: { name: "prod" },
  },
  CreateCollection: {
    schema: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string" },
        metadata: nullable(ref("Metadata")),
        configuration: nullable(ref("CollectionConfiguration")),
        get_or_create: { type: "boolean" },
      },
    },
    example: { name: "docs", metadata: { owner: "me" }, configuration: { hnsw: { space: "cosine" } }, get_or_create: true },
  },
  UpdateCollection: {
    schema: {
      type: "object",
      properties: {
        new_name: { type: ["string", "null"] },
        new_metadata: nullable(ref("UpdateMetadata")),
        new_configuration: nullable({ type: "object", properties: { hnsw: nullable(ref("HnswConfiguration")), embedding_function: {} } }),
      },
    },
    example: { new_metadata: { owner: "you" } },
  },
  AddRecords: {
    schema: records(true, false),
    example: { ids: ["a"], embeddings: [[1, 2, 3]], documents: ["hello"], metadatas: [{ kind: "greeting" }] },
  },
  UpsertRecords: {
    schema: records(true, true),
    example: { ids: ["a"], embeddings: [[1, 2, 3]], metadatas: [{ kind: null }] },
  },
  UpdateRecords: {
    schema: records(false, true),
    example: { ids: ["a"], documents: ["hello again"] },
  },
  GetRecords: {
    schema: {
      type: "object",
      properties: {
        ids: nullable(strings),
        where: nullable(ref("Where")),
        where_document: nullable(ref("WhereDocument")),
        limit: nullable(u32),
        offset: nullable(u32),
        include: ref("Include"),
      },
    },
    example: { where: { kind: "greeting" }, limit: 10, include: ["documents", "metadatas"] },
  },
  QueryRecords: {
    schema: {
      type: "object",
      required: ["query_embeddings"],
      properties: {
        query_embeddings: ref("Embeddings"),
        n_results: nullable(u32),
        ids: nullable(strings),
        where: nullable(ref("Where")),
        where_document: nullable(ref("WhereDocument")),
        include: ref("Include"),
      },
    },
    example: { query_embeddings: [[1, 2, 3]], n_results: 1 },
  },
  DeleteRecords: {
    schema: {
      type: "object",
      properties: {
        ids: nullable(strings),
        where: nullable(ref("Where")),
        where_document: nullable(ref("WhereDocument")),
        limit: nullable(u32),
      },
    },
    example: { ids: ["nothing-by-this-id"] },
  },
  Search: {
    schema: {
      type: "object",
      required: ["searches"],
      properties: { searches: { type: "array", items: { type: "object", description: "Chroma's Search payload: filter, rank, limit, select" } } },
    },
    example: { searches: [{ limit: { limit: 1 }, select: { keys: ["#document"] } }] },
  },
  Fork: { schema: { type: "object", properties: { new_name: { type: "string" } } }, example: { new_name: "forked" } },
  AttachFunction: {
    schema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    example: { name: "fn" },
  },
  DetachFunction: { schema: { type: "object" }, example: {} },
};
