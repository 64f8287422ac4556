/**
 * `chromalite copy` between folders and servers: a chromalite server (startServer, port 0) and the
 * real Chroma (test/helpers/oracle.ts, a free port on 127.0.0.1), both directions, as real processes;
 * errors in process where a child would only add start-up time.
 */
import fs from "node:fs";
import path from "node:path";
import { ChromaClient } from "chromadb";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { copy, type CopyOptions } from "../../src/cli/commands/copy.js";
import { loadChromadb, MISSING_CHROMADB } from "../../src/cli/transfer/server.js";
import { PersistentClient } from "../../src/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { oracleAvailable, startOracle, type OracleServer } from "../helpers/oracle.js";
import { tempDir } from "../helpers/tmp.js";
import { captureContext, dumpFolder, ensureBuilt, expectOneLineError, runCli, seedFolder } from "./helpers.js";

const oracle = await oracleAvailable();

beforeAll(() => ensureBuilt(), 120_000);

/** Seeded with what any Chroma server takes; an exact-l2 and an ip collection besides the cosine one. */
let seeded: string;
beforeAll(async () => {
  seeded = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "chromalite-cli-seed-"));
  await seedFolder(seeded, { records: 400, values: "plain" });
  const client = new PersistentClient({ path: seeded });
  const exact = await client.createCollection({ name: "exact-l2", metadata: { kind: "awkward floats" } });
  await exact.add({
    ids: ["a", "b", "c", "d"],
    embeddings: [[0.1, -0, 1e-8], [1 / 3, 1.4e-45, -2.5], [123456.789, 7, 0.2], [0.3, 0.3, 0.3]],
    documents: ["A", null, "C", null],
  });
  await client.createCollection({
    name: "described",
    embeddingFunction: { name: "default", getConfig: () => ({}), generate: () => Promise.resolve([]) },
    configuration: { hnsw: { space: "ip", ef_search: 50 } },
  });
  await client.close();
  return () => fs.rmSync(seeded, { recursive: true, force: true });
}, 60_000);

const base: Omit<CopyOptions, "from" | "to"> = {
  tenant: "default_tenant",
  database: "default_database",
  onConflict: "fail",
  pageSize: 100,
  quiet: true,
};

describe("chromalite copy with a chromalite server and folders", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "chromalite-cli-server-"));
    server = await startServer({ path: dir, port: 0, host: "127.0.0.1", authToken: "tok" });
    return async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  });

  it("copies a folder to a server and back into a new folder, unchanged (real processes)", async () => {
    const up = await runCli(["copy", "--from", seeded, "--to", server.url, "--token", "tok", "--page-size", "64"]);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/^chromalite: copied 4 collections from .* to http:\/\/127\.0\.0\.1:\d+: 404 records read, 404 added\n$/);
    const back = tempDir();
    const down = await runCli(["copy", "--from", server.url, "--to", back], { env: { CHROMALITE_COPY_TOKEN: "tok" } });
    expect(down.code).toBe(0);
    // chromalite's server writes -0 as 0 in its JSON (as JSON.stringify does); everything else is bit for bit.
    const positiveZero = (dump: Awaited<ReturnType<typeof dumpFolder>>) =>
      dump.map((c) => ({
        ...c,
        embeddings: c.embeddings.map((e) => (e.match(/.{8}/g) ?? []).map((f) => (f === "00000080" ? "00000000" : f)).join("")),
      }));
    expect(positiveZero(await dumpFolder(back))).toEqual(positiveZero(await dumpFolder(seeded)));

    // Again: the collections exist. fail (one line, with the way out), then skip and upsert.
    const again = await runCli(["copy", "--from", seeded, "--to", server.url, "--token", "tok", "--collection", "docs"]);
    expect(again.code).toBe(1);
    expectOneLineError(again, /^chromalite: collection 'docs' already exists at http:.*: pass --on-conflict skip .* or --on-conflict upsert/);
    // The summaries count what was done: nothing added on skip, every record replaced on upsert.
    const skip = captureContext();
    await copy({ ...base, from: seeded, to: server.url, token: "tok", collection: ["docs"], onConflict: "skip", json: true }, skip.ctx);
    expect(JSON.parse(skip.stdout())).toMatchObject({ command: "copy", collections: 1, records: 400, added: 0, updated: 0, skipped: 400 });
    const upsert = captureContext();
    await copy({ ...base, from: seeded, to: server.url, token: "tok", collection: ["docs"], onConflict: "upsert", quiet: false }, upsert.ctx);
    expect(upsert.stderr()).toMatch(/: 400 records read, 0 added, 400 replaced\n$/);
    const check = new ChromaClient({ host: server.host, port: server.port, headers: { "x-chroma-token": "tok" } });
    expect(await (await check.getCollection({ name: "docs" })).count()).toBe(400);
  });

  it("copies between folders, into another tenant and database", async () => {
    const { ctx, stderr } = captureContext();
    const target = tempDir();
    await copy({ ...base, quiet: false, from: seeded, to: target, toTenant: "acme", toDatabase: "archive", collection: ["exact-l2"] }, ctx);
    expect(stderr()).toMatch(/copied 1 collection from .* to .* \(tenant acme, database archive\): 4 records read, 4 added\n$/);
    const [got] = await dumpFolder(target, { tenant: "acme", database: "archive" });
    const orig = (await dumpFolder(seeded)).find((c) => c.name === "exact-l2");
    expect(got).toEqual(orig);
  });

  it("fails with one clear line: unreachable, unauthorized, array metadata, same folder, bad URL", async () => {
    const { ctx } = captureContext();
    const unreachable = await runCli(["copy", "--from", seeded, "--to", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(1);
    expectOneLineError(unreachable, /^chromalite: cannot connect to the Chroma server at http:\/\/127\.0\.0\.1:9 \(is it running\?\)$/);
    await expect(copy({ ...base, from: server.url, to: tempDir() }, ctx)).rejects.toThrow(
      /unauthorized: pass the server's token with --token/,
    );

    const withArrays = tempDir();
    await seedFolder(withArrays, { records: 5 }); // collection metadata { tags: ["a", "b"] }
    const fresh = await startServer({ path: tempDir(), port: 0, host: "127.0.0.1" });
    onTestFinished(() => fresh.close());
    await expect(copy({ ...base, from: withArrays, to: fresh.url }, ctx)).rejects.toThrow(
      "collection 'docs': its metadata key 'tags' holds an array, which Chroma's server cannot store in collection metadata",
    );
    expect(await new ChromaClient({ host: fresh.host, port: fresh.port }).countCollections()).toBe(0); // refused before writing

    const same = await runCli(["copy", "--from", seeded, "--to", `${seeded}/.`]);
    expect(same.code).toBe(2);
    expectOneLineError(same, /^chromalite: --from and --to are the same folder, tenant and database$/);
    await expect(copy({ ...base, from: seeded, to: "ftp://example.com" }, ctx)).rejects.toThrow("only http:// and https:// servers are supported");
    await expect(copy({ ...base, from: seeded, to: "http://127.0.0.1:8000/prefix" }, ctx)).rejects.toThrow("a path after host:port is not supported");
    await expect(copy({ ...base, from: path.join(tempDir(), "none"), to: tempDir() }, ctx)).rejects.toThrow(/does not exist/);
  });

  it("says how to get the official client when it is not installed", async () => {
    await expect(loadChromadb("chromadb-is-not-installed")).rejects.toThrow(MISSING_CHROMADB);
    const help = await runCli(["copy", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--from", "--to", "--collection", "--token", "--from-token", "--to-token", "--on-conflict", "--to-database"]) {
      expect(help.stdout).toContain(flag);
    }
  });
});

/** Float32 values equal, or (Chroma's cosine space keeps normalised vectors) within a few ulps. */
function floats(hex: string): Float32Array {
  const bytes = Buffer.from(hex, "hex");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function closeFloats(a: string, b: string, ulps: number): boolean {
  const x = floats(a);
  const y = floats(b);
  return x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= ulps * 1.2e-7 * Math.max(Math.abs(v), 1e-30));
}

describe.skipIf(!oracle.ok)("chromalite copy with the real Chroma", () => {
  let chroma: OracleServer;
  beforeAll(async () => {
    chroma = await startOracle();
  }, 120_000);
  afterAll(() => chroma?.stop());

  it("copies a folder to Chroma and back, keeping records, order, metadata and configuration", async () => {
    const up = await runCli(["copy", "--from", seeded, "--to", chroma.url]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/copied 4 collections from .*: 404 records read, 404 added/);

    // What Chroma holds, seen through its own client.
    const client = new ChromaClient({ host: chroma.host, port: chroma.port });
    const docs = await client.getCollection({ name: "docs" });
    expect(await docs.count()).toBe(400);
    expect(docs.metadata).toEqual({ owner: "me", version: 2 });
    expect(docs.configuration.hnsw).toMatchObject({ space: "cosine", ef_construction: 120, ef_search: 77, max_neighbors: 12 });

    const back = tempDir();
    const down = await runCli(["copy", "--from", chroma.url, "--to", back]);
    expect(down.code, down.stderr).toBe(0);
    // Chroma lists collections by name, not in creation order.
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const [orig, got] = [(await dumpFolder(seeded)).sort(byName), (await dumpFolder(back)).sort(byName)];
    expect(got.map((c) => c.name)).toEqual(orig.map((c) => c.name));
    for (const [i, o] of orig.entries()) {
      const g = got[i]!;
      const { embeddings: oe, ...oRest } = o;
      const { embeddings: ge, ...gRest } = g;
      expect(gRest, o.name).toEqual(oRest); // ids in order, documents, metadatas, uris, metadata, configuration
      const space = o.configuration.hnsw?.space;
      // Chroma normalises vectors of the cosine space and returns them multiplied back (off by an ulp).
      if (space === "cosine") expect(ge.findIndex((e, j) => !closeFloats(e, oe[j]!, 4)), o.name).toBe(-1);
      else expect(ge, o.name).toEqual(oe);
    }
    expect(got.find((c) => c.name === "described")!.configuration.embedding_function).toEqual({ type: "known", name: "default", config: {} });
  });
});
