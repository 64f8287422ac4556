import { describe, expect, it } from "vitest";
import { tempClient } from "../helpers/tmp.js";

describe("smoke", () => {
  it("adds, gets and queries", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "smoke" });
    await c.add({ ids: ["a", "b"], embeddings: [[1, 0], [0, 1]], documents: ["x", "y"] });
    expect((await c.get()).ids).toEqual(["a", "b"]);
    const q = await c.query({ queryEmbeddings: [[1, 0.1]], nResults: 1 });
    expect(q.ids).toEqual([["a"]]);
  });
});
