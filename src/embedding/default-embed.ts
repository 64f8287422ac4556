/**
 * Chroma's default embedding function (all-MiniLM-L6-v2 through transformers.js, as
 * `@chroma-core/default-embed`), loaded from a local folder only: chromalite never downloads a model
 * unless told to. `@huggingface/transformers` is an optional peer dependency, imported on first use.
 */
import fs from "node:fs";
import path from "node:path";
import { InvalidArgumentError } from "../errors.js";
import type { EmbeddingFunction, Space } from "../types.js";

/** The environment variable naming the local model root (the folder holding `Xenova/all-MiniLM-L6-v2/`). */
export const MODEL_PATH_ENV = "CHROMALITE_MODEL_PATH";

export interface DefaultEmbeddingFunctionOptions {
  /** Model id, a folder under the model root. Default `Xenova/all-MiniLM-L6-v2`, as Chroma. */
  modelName?: string;
  revision?: string;
  /** ONNX weights: `fp32` (default: `onnx/model.onnx`), `q8`, `fp16`, ... as transformers.js names them. */
  dtype?: string;
  /** @deprecated as in Chroma: `true` means dtype `uint8`. */
  quantized?: boolean;
  /** The model root folder. Default: the `CHROMALITE_MODEL_PATH` environment variable. */
  modelPath?: string;
  /** Let transformers.js download missing files from the Hugging Face hub. Default false. */
  allowRemoteModels?: boolean;
}

/** The configuration Chroma stores for its default embedding function. */
export type DefaultEmbeddingFunctionConfig = {
  model_name?: string;
  revision?: string;
  dtype?: string;
  quantized?: boolean;
};

type FeatureExtractor = (texts: string[], options: { pooling: "mean"; normalize: boolean }) => Promise<{ tolist(): number[][] }>;

interface Transformers {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline(task: "feature-extraction", model: string, options: { revision?: string; dtype?: string }): Promise<FeatureExtractor>;
}

// transformers.js keeps its settings in one global `env`: loads are serialised so that each reads its own.
let loading: Promise<unknown> = Promise.resolve();

async function importTransformers(): Promise<Transformers> {
  const specifier = "@huggingface/transformers"; // a variable: the package is optional and untyped here
  try {
    return (await import(specifier)) as Transformers;
  } catch (err) {
    throw new InvalidArgumentError(
      "The default embedding function needs the optional package @huggingface/transformers: " +
        "`ONNXRUNTIME_NODE_INSTALL=skip npm install @huggingface/transformers` (or pass embeddings, or another embeddingFunction)",
      { cause: err },
    );
  }
}

/**
 * all-MiniLM-L6-v2 (384 dimensions, cosine), Chroma's default, from a local folder. Recorded in a
 * collection's configuration exactly as Chroma records its own (`{ type: "known", name: "default" }`),
 * so collections move between chromalite and Chroma with their embedding function.
 *
 * @example
 * ```ts
 * // files at /models/Xenova/all-MiniLM-L6-v2/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx}
 * const ef = new DefaultEmbeddingFunction({ modelPath: "/models" }); // or CHROMALITE_MODEL_PATH=/models
 * const docs = await client.createCollection({ name: "docs", embeddingFunction: ef });
 * ```
 */
export class DefaultEmbeddingFunction implements EmbeddingFunction {
  readonly name = "default";
  readonly #modelName: string;
  readonly #revision: string;
  readonly #dtype: string;
  readonly #quantized: boolean;
  readonly #modelPath: string | undefined;
  readonly #allowRemote: boolean;
  #pipeline: Promise<FeatureExtractor> | undefined;

  constructor(options: DefaultEmbeddingFunctionOptions = {}) {
    this.#modelName = options.modelName ?? "Xenova/all-MiniLM-L6-v2";
    this.#revision = options.revision ?? "main";
    this.#quantized = options.quantized ?? false;
    this.#dtype = options.dtype ?? (this.#quantized ? "uint8" : "fp32");
    this.#modelPath = options.modelPath;
    this.#allowRemote = options.allowRemoteModels ?? false;
  }

  /** Rebuilds the function from the configuration Chroma stored (the model root comes from the environment). */
  static buildFromConfig(config: DefaultEmbeddingFunctionConfig): DefaultEmbeddingFunction {
    return new DefaultEmbeddingFunction({
      modelName: config.model_name,
      revision: config.revision,
      dtype: config.dtype,
      quantized: config.quantized,
    });
  }

  getConfig(): DefaultEmbeddingFunctionConfig {
    return { model_name: this.#modelName, revision: this.#revision, dtype: this.#dtype, quantized: this.#quantized };
  }

  defaultSpace(): Space {
    return "cosine";
  }

  supportedSpaces(): Space[] {
    return ["cosine", "l2", "ip"];
  }

  async generate(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const extract = await this.#load();
    const output = await extract(texts, { pooling: "mean", normalize: true });
    return output.tolist();
  }

  /** The model root this instance reads. */
  get modelPath(): string | undefined {
    return this.#modelPath ?? process.env[MODEL_PATH_ENV] ?? undefined;
  }

  #load(): Promise<FeatureExtractor> {
    this.#pipeline ??= this.#open();
    // A failed load is retried next time (the files may have been put in place meanwhile).
    this.#pipeline.catch(() => (this.#pipeline = undefined));
    return this.#pipeline;
  }

  async #open(): Promise<FeatureExtractor> {
    const root = this.modelPath;
    if (!this.#allowRemote) this.#checkFiles(root);
    const tf = await importTransformers();
    const load = loading.then(async () => {
      tf.env.allowRemoteModels = this.#allowRemote;
      tf.env.allowLocalModels = true;
      if (root) tf.env.localModelPath = root.endsWith(path.sep) ? root : root + path.sep;
      try {
        return await tf.pipeline("feature-extraction", this.#modelName, { revision: this.#revision, dtype: this.#dtype });
      } catch (err) {
        throw new InvalidArgumentError(
          `The default embedding function could not load '${this.#modelName}' from ${root ?? "(no model folder)"}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    });
    loading = load.catch(() => undefined);
    return load;
  }

  /** Names exactly which files are missing, before transformers.js gives a vaguer error. */
  #checkFiles(root: string | undefined): void {
    const weights = this.#dtype === "fp32" ? "onnx/model.onnx" : undefined;
    const needed = ["config.json", "tokenizer.json", "tokenizer_config.json", ...(weights ? [weights] : [])];
    if (!root) {
      throw new InvalidArgumentError(
        `The default embedding function has no model folder: set ${MODEL_PATH_ENV} (or the modelPath option) to a folder ` +
          `holding ${this.#modelName}/{${needed.join(", ")}}. chromalite does not download models.`,
      );
    }
    const dir = path.join(root, this.#modelName);
    const missing = needed.filter((f) => !fs.existsSync(path.join(dir, f)));
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `The default embedding function cannot load '${this.#modelName}': missing ${missing.map((f) => path.join(dir, f)).join(", ")}. ` +
          `chromalite does not download models; put the files there (or set ${MODEL_PATH_ENV} / modelPath to another folder).`,
      );
    }
  }
}
