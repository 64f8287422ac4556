/**
 * Real processes on one folder: each `Proc` is a forked child (./child.ts) that holds at most one
 * PersistentClient and answers requests over IPC. `call` resolves with the result as plain data or
 * rejects with a `RemoteError` carrying the child's error name, message and code; `attempt` gives the
 * same as an outcome. Every child is SIGKILLed when the test that spawned it finishes (pass or fail),
 * and on exit of this process as a last resort.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { onTestFinished } from "vitest";
import { ChromaLiteError, type ErrorCode } from "../../src/index.js";
import type { ErrorInfo, Request } from "./child.js";
import type { LoopEvent } from "./writer.js";

export type { CollectionInfo, ErrorInfo } from "./child.js";

const CHILD = path.join(import.meta.dirname, "child.ts");
/** No single request may take longer: a hang fails the test with this, instead of the test timeout. */
const CALL_LIMIT_MS = 60_000;

/** An error thrown in a child, rebuilt here: a ChromaLiteError with the child's name, message and code. */
export class RemoteError extends ChromaLiteError {
  constructor(readonly info: ErrorInfo, what: string) {
    super((info.code ?? "INTERNAL") as ErrorCode, info.message);
    // The child's class name (LockedError, ReadOnlyError, ...), as an own property.
    Object.defineProperty(this, "name", { value: info.name, enumerable: false, configurable: true });
    this.stack = `${info.name}: ${info.message}\n    in child, for ${what}`;
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

type Reply = { type: "reply"; id: number; ok: true; value: unknown } | { type: "reply"; id: number; ok: false; error: ErrorInfo };
type Message = Reply | { type: "ready"; pid: number } | { type: "event"; event: LoopEvent };

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export class Proc {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #child: ChildProcess;
  #next = 0;
  #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #listeners = new Set<(e: LoopEvent) => void>();
  #stderr = "";

  private constructor(readonly label: string, child: ChildProcess) {
    this.#child = child;
    this.pid = child.pid!;
    child.stderr?.on("data", (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        live.delete(child);
        for (const p of this.#pending.values()) p.reject(new Error(`${label} exited (code ${code}, signal ${signal}); stderr: ${this.#stderr}`));
        this.#pending.clear();
        resolve({ code, signal });
      }),
    );
    child.on("message", (raw) => {
      const msg = raw as Message;
      if (msg.type === "reply") {
        this.#pending.get(msg.id)?.resolve(msg);
        this.#pending.delete(msg.id);
      } else if (msg.type === "event") {
        for (const fn of this.#listeners) fn(msg.event);
      }
    });
  }

  /** Forks a child and waits until it listens. Prefer `useProcs()` in tests (it cleans up). */
  static async spawn(label: string): Promise<Proc> {
    const child = fork(CHILD, [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    live.add(child);
    const proc = new Proc(label, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} not ready in ${CALL_LIMIT_MS} ms; stderr: ${proc.#stderr}`)), CALL_LIMIT_MS);
      child.on("message", (m) => {
        if ((m as Message).type === "ready") {
          clearTimeout(timer);
          resolve();
        }
      });
      void proc.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited before it was ready (code ${code}, signal ${signal}); stderr: ${proc.#stderr}`));
      });
    });
    return proc;
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Sends a request; resolves with its outcome (a child-side error is an outcome, not a rejection). */
  request<T>(request: Request): Promise<Outcome<T>> {
    if (!this.alive) return Promise.reject(new Error(`${this.label} is not running; stderr: ${this.#stderr}`));
    const id = this.#next++;
    return new Promise<Outcome<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: no answer to ${what(request)} in ${CALL_LIMIT_MS} ms (a hang); stderr: ${this.#stderr}`));
      }, CALL_LIMIT_MS);
      const done = <A>(fn: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        fn(a);
      };
      this.#pending.set(id, {
        resolve: done((r: Reply) => resolve(r.ok ? { ok: true, value: r.value as T } : { ok: false, error: r.error })),
        reject: done(reject),
      });
      this.#child.send({ id, request }, (err) => {
        if (err) this.#pending.get(id)?.reject(err);
      });
    });
  }

  /** The request's value, or a `RemoteError` with the child's error. */
  async call<T = unknown>(request: Request): Promise<T> {
    const outcome = await this.request<T>(request);
    if (!outcome.ok) throw new RemoteError(outcome.error, `${this.label}: ${what(request)}`);
    return outcome.value;
  }

  /** Opens the child's client (`{ path, exclusive?, readOnly?, timeout? }`); a refusal (LockedError) rejects. */
  open(options: Record<string, unknown>): Promise<{ pid: number }> {
    return this.call({ op: "open", options });
  }

  /** `client[method](...args)` in the child. */
  client<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.call<T>({ op: "client", method, args });
  }

  /** `collection[method](...args)` in the child, on the collection with this id. */
  col<T = unknown>(collection: string, method: string, ...args: unknown[]): Promise<T> {
    return this.call<T>({ op: "collection", collection, method, args });
  }

  /** Outcome of `collection[method](...args)`. */
  tryCol<T = unknown>(collection: string, method: string, ...args: unknown[]): Promise<Outcome<T>> {
    return this.request<T>({ op: "collection", collection, method, args });
  }

  /** Outcome of `client[method](...args)`. */
  tryClient<T = unknown>(method: string, ...args: unknown[]): Promise<Outcome<T>> {
    return this.request<T>({ op: "client", method, args });
  }

  /** Write-loop events (./writer.ts). Returns the unsubscribe function. */
  onEvent(fn: (e: LoopEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Closes the child's client and lets the child exit; SIGKILL if it does not within 30 s. */
  async close(): Promise<void> {
    if (!this.alive) return;
    await this.call({ op: "close" });
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the child (SIGKILL by default) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.alive) this.#child.kill(signal);
    await this.exited;
  }
}

function what(r: Request): string {
  if (r.op === "client") return `client.${r.method}`;
  if (r.op === "collection") return `collection.${r.method}`;
  return r.op;
}

/**
 * `spawn(label)` for the current test: every child it starts is killed when the test finishes, pass
 * or fail. Call inside a test (or a hook running for one).
 */
export async function spawnProc(label: string): Promise<Proc> {
  const proc = await Proc.spawn(label);
  onTestFinished(() => proc.kill());
  return proc;
}

/** `n` children opened on `dir` with the same options, started in parallel. */
export async function openProcs(n: number, dir: string, options: Record<string, unknown> = {}, prefix = "P"): Promise<Proc[]> {
  const procs = await Promise.all(Array.from({ length: n }, (_, i) => spawnProc(`${prefix}${i}`)));
  // Opened one after the other: the first creates the folder's files.
  for (const p of procs) await p.open({ path: dir, ...options });
  return procs;
}

/** Everything a collection holds, in insertion order, with every field. */
export const ALL = { include: ["documents", "metadatas", "embeddings", "uris"] } as const;

