/** Embedding functions, as the official client uses them: `generate(texts)` and a stored description. */
import { InvalidArgumentError } from "../errors.js";
import type { EmbeddingFunction, EmbeddingFunctionConfiguration } from "../types.js";
import type { OperationScope } from "../util/abort.js";

/** How Chroma records an embedding function in a collection's configuration. */
export function describeEmbeddingFunction(ef: EmbeddingFunction | null | undefined): EmbeddingFunctionConfiguration | null {
  if (!ef) return null;
  if (typeof ef.name === "string" && typeof ef.getConfig === "function") {
    return { type: "known", name: ef.name, config: ef.getConfig() };
  }
  return { type: "legacy" };
}

/** Runs the embedding function under the operation's scope, so a hung model call cannot hang the caller. */
export async function embedWith(
  ef: EmbeddingFunction | undefined,
  collectionName: string,
  texts: string[],
  purpose: "documents" | "queries",
  scope: OperationScope,
): Promise<number[][]> {
  if (!ef) {
    throw new InvalidArgumentError(
      `No embedding function found for collection '${collectionName}'. You can either provide embeddings directly, ` +
        `or pass an embeddingFunction when you create or get the collection.`,
    );
  }
  const call = purpose === "queries" && ef.generateForQueries ? ef.generateForQueries(texts) : ef.generate(texts);
  const vectors = await raceScope(Promise.resolve(call), scope);
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    throw new InvalidArgumentError(
      `The embedding function returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} embeddings for ${texts.length} texts`,
    );
  }
  return vectors;
}

/** Settles with `promise`, or rejects as soon as the scope is cancelled. */
export function raceScope<T>(promise: Promise<T>, scope: OperationScope): Promise<T> {
  scope.check();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(scope.signal.reason as Error);
    scope.signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        scope.signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        scope.signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
