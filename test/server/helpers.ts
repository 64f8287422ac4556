/**
 * Test helpers for the HTTP server: a chromalite server on a free port over a temp folder, raw JSON
 * requests, and the target shape the conformance suite takes (chromalite here, the real Chroma via
 * test/helpers/oracle.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/index.js";

/** A running Chroma-compatible server to test against. */
export interface ServerTarget {
  host: string;
  port: number;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

export interface ChromaliteTarget extends ServerTarget {
  server: RunningServer;
  dir: string;
  url: string;
}

/** Starts chromalite on 127.0.0.1 and a free port, over a fresh temp folder. */
export async function startChromalite(options: Omit<ServerOptions, "path"> = {}): Promise<ChromaliteTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-server-"));
  let server: RunningServer;
  try {
    server = await startServer({ path: dir, host: "127.0.0.1", port: 0, ...options });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    server,
    dir,
    url: server.url,
    host: server.host,
    port: server.port,
    async close() {
      try {
        await server.close({ timeoutMs: 5000 });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text if it is not JSON. */
  body: unknown;
  text: string;
}

/** One HTTP request with a JSON (or raw string) body; never throws on an error status. */
export async function request(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}${pathname}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export const TD = "/api/v2/tenants/default_tenant/databases/default_database";

/** Little-endian float32 base64, as the official clients encode embeddings. */
export function base64Embedding(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString("base64");
}

/** Deterministic pseudo-random vectors. */
export function vectors(n: number, dim: number, seed = 1): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000 - 0.5;
  };
  return Array.from({ length: n }, () => Array.from({ length: dim }, next));
}
