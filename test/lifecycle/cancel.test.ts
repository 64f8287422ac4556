import { describe, expect, it } from "vitest";
import { AbortError, ChromaLiteError, TimeoutError } from "../../src/index.js";
import { tempClient } from "../helpers/tmp.js";

function vectors(n: number, dim: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => Math.sin(i * 31 + j)));
}

describe("nothing hangs: cancellation and timeouts", () => {
  it("an aborted write rejects with AbortError and changes nothing", async () => {
    const { client } = tempClient({ maxBatchSize: 50_000 });
    const c = await client.createCollection({ name: "abort" });
    await c.add({ ids: ["keep"], embeddings: [Array(64).fill(0.5)] });
    const vs = vectors(30_000, 64);
    const controller = new AbortController();
    const adding = c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 10);
    const err: unknown = await adding.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toBeInstanceOf(ChromaLiteError);
    expect((err as AbortError).cause).toMatchObject({ message: "user cancelled" });
    expect(await c.count()).toBe(1);
    expect((await c.get()).ids).toEqual(["keep"]);
  });

  it("an already-aborted signal rejects before doing anything", async () => {
    const { client } = tempClient();
    await expect(client.createCollection({ name: "never", signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(await client.countCollections()).toBe(0);
  });

  it("a write that exceeds its timeout rejects with TimeoutError and changes nothing", async () => {
    const { client } = tempClient({ maxBatchSize: 50_000 });
    const c = await client.createCollection({ name: "slow" });
    const vs = vectors(30_000, 64);
    await expect(c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs, timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await c.count()).toBe(0);
  });

  it("the client's default timeout applies to every call, and callers waiting behind a long write can give up", async () => {
    const { client } = tempClient({ maxBatchSize: 50_000, timeout: 30_000 });
    const c = await client.createCollection({ name: "queue" });
    const vs = vectors(30_000, 64);
    const big = c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs });
    await new Promise((r) => setTimeout(r, 30)); // the write now holds the collection
    // A reader queued behind the write on the same collection times out instead of waiting for ever.
    await expect(c.count({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    await big;
    expect(await c.count()).toBe(30_000);
  });

  it("a hung embedding function cannot hang the caller", async () => {
    const { client } = tempClient();
    const hung = { name: "hung", generate: () => new Promise<number[][]>(() => undefined) };
    const c = await client.createCollection({ name: "hung-ef", embeddingFunction: hung });
    await expect(c.add({ ids: ["a"], documents: ["text"], timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await c.count()).toBe(0);
  });
});
