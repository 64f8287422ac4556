/** Result classes with the same fields and `rows()` as the official client's `GetResult` / `QueryResult`. */
import type { Include, Metadata } from "../types.js";

export interface GetRow<TMeta extends Metadata = Metadata> {
  id: string;
  document: string | null | undefined;
  embedding: number[] | undefined;
  metadata: TMeta | null | undefined;
  uri: string | null | undefined;
}

/** The columns both results have: one array each (get), or one array per query (query). */
interface Columns<Ids, Documents, Embeddings, Metadatas, Uris> {
  documents: Documents;
  embeddings: Embeddings;
  ids: Ids;
  include: Include[];
  metadatas: Metadatas;
  uris: Uris;
}

type GetColumns<TMeta> = Columns<string[], (string | null)[], number[][], (TMeta | null)[], (string | null)[]>;
type QueryColumns<TMeta> = Columns<string[][], (string | null)[][], (number[] | null)[][], (TMeta | null)[][], (string | null)[][]>;
type AnyColumns = Columns<unknown, unknown, unknown, unknown, unknown>;

abstract class ResultColumns<C extends AnyColumns> {
  readonly documents: C["documents"];
  readonly embeddings: C["embeddings"];
  readonly ids: C["ids"];
  readonly include: Include[];
  readonly metadatas: C["metadatas"];
  readonly uris: C["uris"];

  constructor(data: C) {
    this.documents = data.documents;
    this.embeddings = data.embeddings;
    this.ids = data.ids;
    this.include = data.include;
    this.metadatas = data.metadatas;
    this.uris = data.uris;
  }
}

/** Records returned by `get` / `peek`, column by column; fields not in `include` are empty arrays. */
export class GetResult<TMeta extends Metadata = Metadata> extends ResultColumns<GetColumns<TMeta>> {
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
export class QueryResult<TMeta extends Metadata = Metadata> extends ResultColumns<QueryColumns<TMeta>> {
  readonly distances: (number | null)[][];

  constructor(data: QueryColumns<TMeta> & { distances: (number | null)[][] }) {
    super(data);
    this.distances = data.distances;
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
