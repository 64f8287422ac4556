/**
 * The folder lock under a real race: several processes call FolderLock.acquire on one folder at the
 * same instant, round after round, with no lock file, a stale one (its holder long dead), an empty one
 * (a holder died while writing it) and one whose holder releases it at that instant. Exactly one
 * process may hold the folder each round.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.js";

const CHILDREN = 6;
const ROUNDS_PER_SCENARIO = 25;
const LOCK_SRC = path.resolve("src/store/folder-lock.ts");

// Each child waits for a round's start time, spins through its last milliseconds so that all start
// together, tries the lock, reports, and holds what it got until told to release it.
const CHILD = `
  const { FolderLock } = await import(${JSON.stringify(LOCK_SRC)});
  let held;
  const spinUntil = (at) => { while (Date.now() < at) {} };
  process.on("message", (m) => {
    if (m.type === "try") {
      setTimeout(() => {
        spinUntil(m.at);
        let got = false, error;
        try { held = FolderLock.acquire(m.dir); got = true; } catch (err) { if (err.code !== "LOCKED") error = String(err); }
        process.send({ type: "tried", got, error });
      }, Math.max(0, m.at - Date.now() - 3));
    } else if (m.type === "release-at") {
      setTimeout(() => { spinUntil(m.at); held?.release(); held = undefined; }, Math.max(0, m.at - Date.now() - 3));
    } else if (m.type === "release") {
      held?.release(); held = undefined;
      process.send({ type: "released" });
    }
  });
  process.send({ type: "ready" });
`;

interface Child {
  proc: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
}

function startChild(): Promise<Child> {
  const real = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  real.on("message", (m: Record<string, unknown>) => {
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const child: Child = {
    proc: real,
    next: (type) =>
      new Promise((resolve, reject) => {
        const m = queue.shift();
        if (m) return m.type === type ? resolve(m) : reject(new Error(`expected ${type}, got ${JSON.stringify(m)}`));
        waiting.push((got) => (got.type === type ? resolve(got) : reject(new Error(`expected ${type}, got ${JSON.stringify(got)}`))));
      }),
  };
  return child.next("ready").then(() => child);
}

describe("folder lock race", () => {
  let children: Child[] = [];

  beforeAll(async () => {
    children = await Promise.all(Array.from({ length: CHILDREN }, () => startChild()));
  }, 60_000);

  afterAll(() => {
    for (const c of children) c.proc.kill("SIGKILL");
  });

  const scenarios = {
    none: (file: string) => fs.rmSync(file, { force: true }),
    stale: (file: string) => fs.writeFileSync(file, JSON.stringify({ pid: 999999, hostname: os.hostname(), startedAt: "x" })),
    empty: (file: string) => fs.writeFileSync(file, ""),
  };

  it(`exactly one of ${CHILDREN} processes starting at once gets the lock, in every round (no lock, stale, empty, released at that instant)`, async () => {
    const dir = tempDir();
    const file = path.join(dir, "chromalite.lock");
    const outcomes: Record<string, number[]> = { none: [], stale: [], empty: [], releasing: [] };
    for (let round = 0; round < ROUNDS_PER_SCENARIO; round++) {
      for (const [name, prepare] of Object.entries(scenarios)) {
        prepare(file);
        const at = Date.now() + 40;
        for (const c of children) c.proc.send({ type: "try", dir, at });
        const results = await Promise.all(children.map((c) => c.next("tried")));
        expect(results.filter((r) => r.error)).toEqual([]);
        outcomes[name]!.push(results.filter((r) => r.got).length);
        const winner = children[results.findIndex((r) => r.got)];
        // Next: the winner lets go at the very instant the others try.
        const at2 = Date.now() + 40;
        winner?.proc.send({ type: "release-at", at: at2 });
        const others = children.filter((c) => c !== winner);
        for (const c of others) c.proc.send({ type: "try", dir, at: at2 });
        const second = await Promise.all(others.map((c) => c.next("tried")));
        expect(second.filter((r) => r.error)).toEqual([]);
        // The winner may still have held it when they tried (then none got it), or not: at most one.
        outcomes.releasing!.push(second.filter((r) => r.got).length);
        for (const c of children) c.proc.send({ type: "release" });
        await Promise.all(children.map((c) => c.next("released")));
      }
    }
    // Rounds where other than one process held it (none with a free folder is as wrong as two).
    const wrong = (name: string, ok: (n: number) => boolean) => outcomes[name]!.filter((n) => !ok(n)).length;
    expect({
      none: wrong("none", (n) => n === 1),
      stale: wrong("stale", (n) => n === 1),
      empty: wrong("empty", (n) => n === 1),
      releasing: wrong("releasing", (n) => n <= 1),
    }).toEqual({ none: 0, stale: 0, empty: 0, releasing: 0 });
    // After every release the folder is left without a lock file.
    expect(fs.existsSync(file)).toBe(false);
  }, 240_000);
});
