/** Result classes with the same fields and `rows()` as the official client's `GetResult` / `QueryResult`. */
import type { Include, Metadata } from "../types.js";

export interface GetRow<TMeta extends Metadata = Metadata> {
  id: string;
  document: string | null | undefined;
  embedding: number[] | undefined;
  metadata: TMeta | null | undefined;
  uri: string | null | undefined;
}

/** Records returned by `get` / `peek`, column by column; fields not in `include` are empty arrays. */
export class GetResult<TMeta extends Metadata = Metadata> {
  readonly documents: (string | null)[];
  readonly embeddings: number[][];
  readonly ids: string[];
  readonly include: Include[];
  readonly metadatas: (TMeta | null)[];
  readonly uris: (string | null)[];

  constructor(data: {
    documents: (string | null)[];
    embeddings: number[][];
    ids: string[];
    include: Include[];
    metadatas: (TMeta | null)[];
    uris: (string | null)[];
  }) {
    this.documents = data.documents;
    this.embeddings = data.embeddings;
    this.ids = data.ids;
    this.include = data.include;
    this.metadatas = data.metadatas;
    this.uris = data.uris;
  }

  /** The records as one object each. */
  rows(): GetRow<TMeta>[] {
    return this.ids.map((id, i) => ({
      id,
      document: this.include.includes("documents") ? this.documents[i] : undefined,
      embedding: this.include.includes("embeddings") ? this.embeddings[i] : undefined,
      metadata: this.include.includes("metadatas") ? this.metadatas[i] : undefined,
      uri: this.include.includes("uris") ? this.uris[i] : undefined,
    }));
  }
}

export interface QueryRowResult<TMeta extends Metadata = Metadata> {
  id: string;
  distance?: number | null;
  document?: string | null;
  embedding?: number[] | null;
  metadata?: TMeta | null;
  uri?: string | null;
}

/** Nearest neighbours of each query, best first; one inner list per query embedding. */
export class QueryResult<TMeta extends Metadata = Metadata> {
  readonly distances: (number | null)[][];
  readonly documents: (string | null)[][];
  readonly embeddings: (number[] | null)[][];
  readonly ids: string[][];
  readonly include: Include[];
  readonly metadatas: (TMeta | null)[][];
  readonly uris: (string | null)[][];

  constructor(data: {
    distances: (number | null)[][];
    documents: (string | null)[][];
    embeddings: (number[] | null)[][];
    ids: string[][];
    include: Include[];
    metadatas: (TMeta | null)[][];
    uris: (string | null)[][];
  }) {
    this.distances = data.distances;
    this.documents = data.documents;
    this.embeddings = data.embeddings;
    this.ids = data.ids;
    this.include = data.include;
    this.metadatas = data.metadatas;
    this.uris = data.uris;
  }

  /** The results of each query as one object per record. */
  rows(): QueryRowResult<TMeta>[][] {
    return this.ids.map((ids, q) =>
      ids.map((id, i) => ({
        id,
        document: this.include.includes("documents") ? this.documents[q]![i] : undefined,
        embedding: this.include.includes("embeddings") ? this.embeddings[q]![i] : undefined,
        metadata: this.include.includes("metadatas") ? this.metadatas[q]![i] : undefined,
        uri: this.include.includes("uris") ? this.uris[q]![i] : undefined,
        distance: this.include.includes("distances") ? this.distances[q]![i] : undefined,
      })),
    );
  }
}
