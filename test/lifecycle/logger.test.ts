import { describe, expect, it } from "vitest";
import { tempClient } from "../helpers/tmp.js";

describe("observability", () => {
  it("hands every operation to the logger with its duration and outcome, and prints nothing by default", async () => {
    const entries: Record<string, unknown>[] = [];
    const logger = { debug: (obj: object) => entries.push(obj as Record<string, unknown>) };
    const { client } = tempClient({ logger });
    const c = await client.createCollection({ name: "logged" });
    await c.add({ ids: ["a"], embeddings: [[1, 2]] });
    await expect(c.add({ ids: ["b"], embeddings: [[1, 2, 3]] })).rejects.toThrow();
    const ops = entries.map((e) => [e.op, e.ok]);
    expect(ops).toEqual([
      ["createCollection", true],
      ["add", true],
      ["add", false],
    ]);
    for (const e of entries) expect(typeof e.ms).toBe("number");
    expect(entries[2]).toMatchObject({ error: "InvalidArgumentError" });
  });
});
