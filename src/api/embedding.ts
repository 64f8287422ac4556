/** Embedding functions, as the official client uses them: `generate(texts)` and a stored description. */
import { InvalidArgumentError } from "../errors.js";
import type { EmbeddingFunction, EmbeddingFunctionConfiguration } from "../types.js";
import { raceScope, type OperationScope } from "../util/abort.js";

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
  missing?: string,
): Promise<number[][]> {
  if (!ef) {
    throw new InvalidArgumentError(
      `No embedding function found for collection '${collectionName}'${missing ? ` (${missing})` : ""}. You can either provide embeddings directly, ` +
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

export { raceScope };

/** A class of embedding functions, as the official client registers them. */
export interface EmbeddingFunctionClass {
  new (...args: never[]): EmbeddingFunction;
  buildFromConfig(config: Record<string, unknown>): EmbeddingFunction;
}

const registry = new Map<string, EmbeddingFunctionClass>();

/** Registered embedding function classes by name (the official client's `knownEmbeddingFunctions`). */
export const knownEmbeddingFunctions: ReadonlyMap<string, EmbeddingFunctionClass> = registry;

/**
 * Registers a class so that collections whose configuration names it get it back on `getCollection`
 * (as the official client's `registerEmbeddingFunction`). A name can be registered once.
 */
export function registerEmbeddingFunction(name: string, cls: EmbeddingFunctionClass): void {
  if (registry.has(name)) throw new InvalidArgumentError(`Embedding function with name ${name} is already registered.`);
  registry.set(name, cls);
}

// The official client's aliases: names the Python client stores, mapped to JS package names.
const PACKAGE_NAMES: Record<string, string> = {
  onnx_mini_lm_l6_v2: "default-embed",
  default: "default-embed",
  together_ai: "together-ai",
  sentence_transformer: "sentence-transformer",
  google_gemini: "google-gemini",
  google_genai: "google-gemini",
};

async function importOptional(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Rebuilds the embedding function a collection's configuration names, as the official client does on
 * `getCollection`: by name from {@link registerEmbeddingFunction}'s registry, chromalite's own
 * default, or an installed `@chroma-core/<package>` (which registers itself with `chromadb`).
 * Returns the function, or why there is none (for the error a later text call gives).
 */
export async function resolveEmbeddingFunction(
  config: EmbeddingFunctionConfiguration | null | undefined,
): Promise<{ ef?: EmbeddingFunction; missing?: string }> {
  if (!config || config.type !== "known") return {};
  const pkg = PACKAGE_NAMES[config.name] ?? config.name;
  let cls = registry.get(config.name) ?? registry.get(pkg);
  if (!cls && pkg === "default-embed") {
    cls = (await import("./default-embed.js")).DefaultEmbeddingFunction;
  }
  if (!cls) {
    await importOptional(`@chroma-core/${pkg}`);
    cls = registry.get(pkg);
    if (!cls) {
      const chroma = await importOptional("chromadb");
      const known = chroma?.knownEmbeddingFunctions as Map<string, EmbeddingFunctionClass> | undefined;
      cls = known?.get(pkg) ?? known?.get(config.name);
    }
  }
  if (!cls || typeof cls.buildFromConfig !== "function") {
    return {
      missing: `the collection's embedding function '${config.name}' is not available: install @chroma-core/${pkg} or registerEmbeddingFunction('${config.name}', ...)`,
    };
  }
  try {
    return { ef: cls.buildFromConfig(config.config ?? {}) };
  } catch (err) {
    return { missing: `the embedding function '${config.name}' could not be rebuilt from its configuration: ${err instanceof Error ? err.message : String(err)}` };
  }
}
