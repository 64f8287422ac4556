/**
 * Embedding functions, Chroma's way: stored in the configuration as `{type, name, config}`, rebuilt by
 * name on `getCollection`, used for documents-only writes and text queries, and a clear error when
 * none is available.
 */
import { describe, expect, it } from "vitest";
import {
  DefaultEmbeddingFunction,
  InvalidArgumentError,
  knownEmbeddingFunctions,
  MODEL_PATH_ENV,
  PersistentClient,
  registerEmbeddingFunction,
  type EmbeddingFunction,
} from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";

/** A toy function with a configuration: vectors from letter counts. */
class LetterCounts implements EmbeddingFunction {
  readonly name = "letter-counts";
  readonly letters: string;
  constructor(args: { letters?: string } = {}) {
    this.letters = args.letters ?? "abc";
  }
  static buildFromConfig(config: Record<string, unknown>): LetterCounts {
    return new LetterCounts({ letters: config.letters as string });
  }
  generate(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => [...this.letters].map((l) => t.split(l).length - 1 + 0.5)));
  }
  getConfig(): Record<string, unknown> {
    return { letters: this.letters };
  }
  defaultSpace(): "cosine" {
    return "cosine";
  }
}
registerEmbeddingFunction("letter-counts", LetterCounts);

describe("embedding functions", () => {
  it("are stored as Chroma stores them and rebuilt by name on getCollection", async () => {
    const dir = tempDir();
    {
      const client = new PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "letters", embeddingFunction: new LetterCounts({ letters: "xyz" }) });
      expect(c.configuration.embedding_function).toEqual({ type: "known", name: "letter-counts", config: { letters: "xyz" } });
      expect(c.configuration.hnsw?.space).toBe("cosine"); // the function's default space
      await c.add({ ids: ["x", "y"], documents: ["xxxx", "yyyy"] }); // documents only: embedded
      await client.close();
    }
    const client = new PersistentClient({ path: dir });
    const c = await client.getCollection({ name: "letters" });
    expect(c.embeddingFunction).toBeInstanceOf(LetterCounts);
    expect((c.embeddingFunction as LetterCounts).letters).toBe("xyz");
    expect((await c.query({ queryTexts: ["xx"], nResults: 1 })).ids).toEqual([["x"]]);
    await c.upsert({ ids: ["z"], documents: ["zzz"] });
    await c.update({ ids: ["x"], documents: ["zzzz"] });
    expect((await c.query({ queryTexts: ["z"], nResults: 2 })).ids[0]!.sort()).toEqual(["x", "z"]);
    expect((await client.listCollections())[0]!.embeddingFunction).toBeInstanceOf(LetterCounts);
    expect(knownEmbeddingFunctions.get("letter-counts")).toBe(LetterCounts);
    expect(() => registerEmbeddingFunction("letter-counts", LetterCounts)).toThrow(InvalidArgumentError);
    await client.close();
  });

  it("a function given to getCollection wins over the stored one", async () => {
    const { client } = tempClient();
    await client.createCollection({ name: "given", embeddingFunction: new LetterCounts() });
    const mine = { generate: (t: string[]) => Promise.resolve(t.map(() => [1, 2, 3])) };
    expect((await client.getCollection({ name: "given", embeddingFunction: mine })).embeddingFunction).toBe(mine);
  });

  it("says why when the stored function cannot be rebuilt, and when there is none", async () => {
    const { client } = tempClient();
    const unknown = { name: "not-installed-anywhere", getConfig: () => ({}), generate: (t: string[]) => Promise.resolve(t.map(() => [1])) };
    await client.createCollection({ name: "gone", embeddingFunction: unknown });
    const c = await client.getCollection({ name: "gone" });
    expect(c.embeddingFunction).toBeUndefined();
    const err = await c.add({ ids: ["a"], documents: ["text"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/not-installed-anywhere.*@chroma-core\/not-installed-anywhere/);
    await expect(c.query({ queryTexts: ["x"] })).rejects.toBeInstanceOf(InvalidArgumentError);

    const bare = await client.createCollection({ name: "bare" });
    expect(bare.configuration.embedding_function).toBeNull();
    await expect(bare.add({ ids: ["a"], documents: ["text"] })).rejects.toThrow(/No embedding function found for collection 'bare'/);
    await bare.add({ ids: ["a"], embeddings: [[1, 2]], documents: ["text"] }); // embeddings given: fine
    const legacy = await client.createCollection({ name: "legacy", embeddingFunction: { generate: () => Promise.resolve([[1]]) } });
    expect(legacy.configuration.embedding_function).toEqual({ type: "legacy" });
    expect((await client.getCollection({ name: "legacy" })).embeddingFunction).toBeUndefined();
  });

  it("'default' (and Python's onnx_mini_lm_l6_v2) rebuild chromalite's default function, which names missing files", async () => {
    const { client } = tempClient();
    const ef = new DefaultEmbeddingFunction({ modelPath: "/nonexistent-model-root" });
    const c = await client.createCollection({ name: "default-ef", embeddingFunction: ef });
    expect(c.configuration.embedding_function).toEqual({
      type: "known",
      name: "default",
      config: { model_name: "Xenova/all-MiniLM-L6-v2", revision: "main", dtype: "fp32", quantized: false },
    });
    expect(c.configuration.hnsw?.space).toBe("cosine");
    const err = await c.add({ ids: ["a"], documents: ["hello"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain("/nonexistent-model-root/Xenova/all-MiniLM-L6-v2/onnx/model.onnx");
    expect((err as Error).message).toContain("config.json");

    const saved = process.env[MODEL_PATH_ENV];
    delete process.env[MODEL_PATH_ENV];
    try {
      const again = await client.getCollection({ name: "default-ef" });
      expect(again.embeddingFunction).toBeInstanceOf(DefaultEmbeddingFunction);
      await expect(again.query({ queryTexts: ["x"] })).rejects.toThrow(new RegExp(MODEL_PATH_ENV));
    } finally {
      if (saved !== undefined) process.env[MODEL_PATH_ENV] = saved;
    }
  });
});
