/**
 * The default embedding function's loading path, offline: a model of all-MiniLM-L6-v2's exact shape
 * (random weights, generated here) with the real MiniLM tokenizer, read from a local folder through
 * transformers.js; and the small real GloVe model for (weak but real) semantics.
 */
import fs from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { DefaultEmbeddingFunction, Knn, MODEL_PATH_ENV, PersistentClient } from "../../src/index.js";
import { tempClient, tempDir } from "../helpers/tmp.js";
import { MINILM_TOKENIZER_DIR, writeMiniLmShapedModel } from "./helpers/minilm-model.js";
import { sharedData } from "../helpers/datasets.js";

const MODELS = sharedData("models").path;
const GLOVE = sharedData("models/glove-100d-sif").path;

const norm = (v: number[]) => Math.hypot(...v);
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));

describe.skipIf(!fs.existsSync(MINILM_TOKENIZER_DIR))(`default model (needs ${MINILM_TOKENIZER_DIR})`, () => {
  it("loads a MiniLM-shaped model from a local folder, embeds documents and query texts", async () => {
    const root = tempDir("chromalite-model-");
    writeMiniLmShapedModel(root);
    const ef = new DefaultEmbeddingFunction({ modelPath: root });
    const [a, b] = await ef.generate(["The wing stalls at high angles of attack.", "hello"]);
    expect(a).toHaveLength(384);
    expect(norm(a!)).toBeCloseTo(1, 5);
    expect(a).not.toEqual(b);
    expect(await ef.generate(["The wing stalls at high angles of attack."])).toEqual([a]); // deterministic

    const { client, dir } = tempClient();
    const c = await client.createCollection({ name: "minilm", embeddingFunction: ef });
    await c.add({ ids: ["1", "2", "3"], documents: ["alpha beta", "gamma delta", "epsilon"] });
    const hit = await c.query({ queryTexts: ["gamma delta"], nResults: 1, include: ["distances"] });
    expect(hit.ids).toEqual([["2"]]);
    expect(hit.distances[0]![0]).toBeCloseTo(0, 5);
    await client.close();

    // Reopened without a function: rebuilt from the configuration, the folder from the environment.
    const saved = process.env[MODEL_PATH_ENV];
    process.env[MODEL_PATH_ENV] = root;
    try {
      const again = new PersistentClient({ path: dir });
      const c2 = await again.getCollection({ name: "minilm" });
      expect(c2.embeddingFunction).toBeInstanceOf(DefaultEmbeddingFunction);
      expect((await c2.query({ queryTexts: ["epsilon"], nResults: 1 })).ids).toEqual([["3"]]);
      await again.close();
    } finally {
      if (saved === undefined) delete process.env[MODEL_PATH_ENV];
      else process.env[MODEL_PATH_ENV] = saved;
    }
  });

  it("says exactly which file is missing, and never downloads", async () => {
    // Every request transformers.js makes for a model file goes through its env.fetch: record them
    // (none reach the network).
    const { env } = await import("@huggingface/transformers");
    const fetched = vi.spyOn(env, "fetch").mockRejectedValue(new Error("offline in this test"));
    const remote = () => fetched.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input)).filter((u) => /^https?:/.test(u));
    try {
      const root = tempDir("chromalite-model-");
      writeMiniLmShapedModel(root);
      fs.rmSync(`${root}/Xenova/all-MiniLM-L6-v2/tokenizer.json`);
      const err = await new DefaultEmbeddingFunction({ modelPath: root }).generate(["x"]).catch((e: unknown) => e);
      expect((err as Error).message).toContain(`${root}/Xenova/all-MiniLM-L6-v2/tokenizer.json`);
      expect((err as Error).message).not.toContain("config.json,");
      // A complete folder loads with remote models off, and nothing is fetched.
      const whole = tempDir("chromalite-model-");
      writeMiniLmShapedModel(whole);
      expect(await new DefaultEmbeddingFunction({ modelPath: whole }).generate(["x"])).toHaveLength(1);
      expect(env.allowRemoteModels).toBe(false);
      expect(remote()).toEqual([]);
      // The spy does see downloads: with allowRemoteModels a missing model is asked of the hub.
      const empty = tempDir("chromalite-model-");
      await expect(new DefaultEmbeddingFunction({ modelPath: empty, allowRemoteModels: true }).generate(["x"])).rejects.toThrow();
      expect(remote().length).toBeGreaterThan(0);
    } finally {
      fetched.mockRestore();
    }
  });
});

describe.skipIf(!fs.existsSync(GLOVE))(`GloVe model semantics (needs ${GLOVE})`, () => {
  it("puts related texts closer than unrelated ones, and answers text queries", async () => {
    const ef = new DefaultEmbeddingFunction({ modelPath: MODELS, modelName: "glove-100d-sif" });
    const [wing, aircraft, banana, soup] = await ef.generate([
      "airplane wing lift",
      "aircraft aerodynamics of flight",
      "banana fruit",
      "vegetable soup recipe",
    ]);
    expect(wing).toHaveLength(100);
    expect(cos(wing!, aircraft!)).toBeGreaterThan(cos(wing!, banana!));
    expect(cos(banana!, soup!)).toBeGreaterThan(cos(banana!, aircraft!));

    const { client } = tempClient();
    const c = await client.createCollection({ name: "glove", embeddingFunction: ef });
    await c.add({
      ids: ["air", "food", "music"],
      documents: ["jet engines and supersonic aircraft", "cooking pasta with tomato sauce", "guitar chords and songs"],
    });
    expect((await c.query({ queryTexts: ["airplane flight"], nResults: 1 })).ids).toEqual([["air"]]);
    expect((await c.search({ rank: Knn({ query: "a recipe for dinner", limit: 1 }) })).ids).toEqual([["food"]]);
  });
});
