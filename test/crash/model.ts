/**
 * The crash suite's model: the operations the child performs, described fully so the parent can
 * replay them, and the expected state after each acknowledged one.
 */
import { shortestF32 } from "../../src/util/float32.js";

export interface RecordValue {
  embedding: number[];
  document: string | null;
  metadata: Record<string, string | number | boolean> | null;
}

export type CrashOp =
  | { kind: "add"; ids: string[]; embeddings: number[][]; documents: string[]; metadatas: Record<string, string | number | boolean>[] }
  | { kind: "upsert"; ids: string[]; embeddings: number[][]; documents: string[]; metadatas: Record<string, string | number | boolean>[] }
  | { kind: "update"; ids: string[]; embeddings?: number[][]; metadatas: Record<string, string | number | boolean | null>[] }
  | { kind: "delete"; ids: string[] }
  | { kind: "deleteWhere"; bucket: number }
  | { kind: "createCollection"; name: string; ids: string[]; embeddings: number[][] }
  | { kind: "deleteCollection"; name: string }
  | { kind: "flush" };

export interface ModelState {
  /** The main collection's records in insertion order. */
  records: Map<string, RecordValue>;
  /** Side collections: name → their ids. */
  collections: Map<string, string[]>;
}

export function emptyModel(): ModelState {
  return { records: new Map(), collections: new Map() };
}

export function cloneModel(m: ModelState): ModelState {
  return {
    records: new Map([...m.records].map(([k, v]) => [k, { ...v, metadata: v.metadata ? { ...v.metadata } : null }])),
    collections: new Map([...m.collections].map(([k, v]) => [k, [...v]])),
  };
}

// Stored as float32 and returned in shortest form, as Chroma does.
const f32 = (v: number[]) => v.map((x) => shortestF32(x));

/** Applies an acknowledged operation with Chroma's semantics. */
export function applyOp(m: ModelState, op: CrashOp): void {
  switch (op.kind) {
    case "add":
      op.ids.forEach((id, i) => {
        if (!m.records.has(id)) {
          m.records.set(id, { embedding: f32(op.embeddings[i]!), document: op.documents[i]!, metadata: { ...op.metadatas[i]! } });
        }
      });
      return;
    case "upsert":
      op.ids.forEach((id, i) => {
        const old = m.records.get(id);
        if (old) {
          old.embedding = f32(op.embeddings[i]!);
          old.document = op.documents[i]!;
          old.metadata = { ...(old.metadata ?? {}), ...op.metadatas[i]! };
        } else {
          m.records.set(id, { embedding: f32(op.embeddings[i]!), document: op.documents[i]!, metadata: { ...op.metadatas[i]! } });
        }
      });
      return;
    case "update":
      op.ids.forEach((id, i) => {
        const old = m.records.get(id);
        if (!old) return;
        if (op.embeddings) old.embedding = f32(op.embeddings[i]!);
        const merged: Record<string, string | number | boolean> = { ...(old.metadata ?? {}) };
        for (const [k, v] of Object.entries(op.metadatas[i]!)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        old.metadata = Object.keys(merged).length ? merged : null;
      });
      return;
    case "delete":
      for (const id of op.ids) m.records.delete(id);
      return;
    case "deleteWhere":
      for (const [id, r] of m.records) if (r.metadata?.bucket === op.bucket) m.records.delete(id);
      return;
    case "createCollection":
      m.collections.set(op.name, [...op.ids]);
      return;
    case "deleteCollection":
      m.collections.delete(op.name);
      return;
    case "flush":
      return;
  }
}
