/**
 * Nothing hangs: cancellation and timeouts. Where a test needs a write to be in the middle of its
 * transaction, it says so through the store (a spy on the write of a record), rather than assuming
 * how many milliseconds a batch takes on this machine.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortError, ChromaLiteError, PersistentClient, TimeoutError } from "../../src/index.js";
import { RecordWrites } from "../../src/store/record-writes.js";
import { tempClient } from "../helpers/tmp.js";

afterEach(() => vi.restoreAllMocks());

function vectors(n: number, dim: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => Math.sin(i * 31 + j)));
}

type Insert = (this: RecordWrites, ...args: Parameters<RecordWrites["insertRecord"]>) => number;

/** Calls `before` each time the store writes a record (the write is then inside its transaction). */
function beforeEachInsert(before: () => void) {
  const insert = Object.getOwnPropertyDescriptor(RecordWrites.prototype, "insertRecord")!.value as Insert;
  return vi.spyOn(RecordWrites.prototype, "insertRecord").mockImplementation(function (this: RecordWrites, ...args) {
    before();
    return insert.apply(this, args);
  });
}

/** Calls `onFirst` when the store writes the first record of a batch. */
function onFirstInsert(onFirst: () => void) {
  let first = true;
  return beforeEachInsert(() => {
    if (first) onFirst();
    first = false;
  });
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe("nothing hangs: cancellation and timeouts", () => {
  it("a write aborted in the middle of its transaction rejects with AbortError and changes nothing", async () => {
    const { client } = tempClient();
    const c = await client.createCollection({ name: "abort" });
    await c.add({ ids: ["keep"], embeddings: [Array(64).fill(0.5)] });
    const vs = vectors(2000, 64);
    const controller = new AbortController();
    const inserts = onFirstInsert(() => controller.abort(new Error("user cancelled")));
    const err: unknown = await c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs, signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(inserts).toHaveBeenCalled(); // it was writing when aborted
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
    const { client } = tempClient();
    const c = await client.createCollection({ name: "slow" });
    const vs = vectors(2000, 64);
    // The first record takes longer to write than the whole call may.
    const inserts = onFirstInsert(() => busyWait(30));
    await expect(c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs, timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(inserts).toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(await c.count()).toBe(0);
  });

  it("the client's default timeout applies to every call, and callers waiting behind a long write can give up", async () => {
    const { client, dir } = tempClient({ timeout: 30_000 });
    const impatient = new PersistentClient({ path: dir, timeout: 5 }); // the same folder: one engine, its own default
    const c = await client.createCollection({ name: "queue" });
    const waiting = await impatient.getCollection({ name: "queue", timeout: 30_000 });
    const vs = vectors(2000, 64);
    // The write holds the collection until both callers below have given up: each record it writes
    // meanwhile takes a millisecond, and it yields to the event loop between slices as usual.
    let writing!: () => void;
    const started = new Promise<void>((resolve) => (writing = resolve));
    let gaveUp = 0;
    beforeEachInsert(() => {
      writing();
      if (gaveUp < 2) busyWait(1);
    });
    const big = c.add({ ids: vs.map((_, i) => `v${i}`), embeddings: vs });
    await started;
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => "answered",
        (e: unknown) => e,
      ).finally(() => gaveUp++);
    const late = (id: string) => ({ ids: [id], embeddings: [vs[0]!] });
    const [byCall, byDefault] = await Promise.all([outcome(c.add({ ...late("late-1"), timeout: 5 })), outcome(waiting.add(late("late-2")))]);
    // A writer queued behind the write times out instead of waiting for ever: by its own timeout, and
    // by its client's default; and changes nothing. (A read does not queue: it answers from what is
    // committed.)
    expect(byCall).toBeInstanceOf(TimeoutError);
    expect(byDefault).toBeInstanceOf(TimeoutError);
    await big;
    expect(await c.count()).toBe(2000);
    expect((await c.get({ ids: ["late-1", "late-2"] })).ids).toEqual([]);
    await impatient.close();
  });

  it("a hung embedding function cannot hang the caller", async () => {
    const { client } = tempClient();
    const hung = { name: "hung", generate: () => new Promise<number[][]>(() => undefined) };
    const c = await client.createCollection({ name: "hung-ef", embeddingFunction: hung });
    await expect(c.add({ ids: ["a"], documents: ["text"], timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await c.count()).toBe(0);
  });
});
