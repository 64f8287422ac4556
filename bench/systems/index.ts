/**
 * Every system the benchmark knows, in report order. Loaded on demand, so a worker process holds
 * only the code of the system it measures (its peak RSS then includes no other system's modules).
 */
import type { SystemDef } from "./types.js";

const LOADERS = {
  chromalite: async () => (await import("./chromalite.js")).chromalite,
  "chromalite-server": async () => (await import("./chroma-client.js")).chromaliteServer,
  chroma: async () => (await import("./chroma-client.js")).chroma,
  hnswlib: async () => (await import("./native.js")).hnswRaw,
  exact: async () => (await import("./native.js")).bruteforce,
  lancedb: async () => (await import("./lancedb.js")).lancedb,
} satisfies Record<string, () => Promise<SystemDef>>;

export type SystemId = keyof typeof LOADERS;
export const SYSTEM_IDS = Object.keys(LOADERS) as SystemId[];

export function loadSystem(id: string): Promise<SystemDef> {
  const load = (LOADERS as Record<string, () => Promise<SystemDef>>)[id];
  if (!load) return Promise.reject(new Error(`unknown system ${id}; known: ${SYSTEM_IDS.join(", ")}`));
  return load();
}
