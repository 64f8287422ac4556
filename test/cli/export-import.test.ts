/**
 * `chromalite export` and `chromalite import`: streaming JSONL that round-trips everything (ids, order,
 * float32 embeddings bit for bit, documents, metadatas, uris, collection metadata and configuration),
 * line-numbered errors, conflicts, truncation, tenants, and the progress bar.
 */
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { exportFolder } from "../../src/cli/commands/export.js";
import { importFolder } from "../../src/cli/commands/import.js";
import { Progress } from "../../src/cli/progress.js";
import { Engine } from "../../src/engine/engine.js";
import { PersistentClient } from "../../src/index.js";
import { tempDir } from "../helpers/tmp.js";
import { captureContext, dumpFolder, ensureBuilt, expectOneLineError, runCli, seedFolder, snapshot } from "./helpers.js";

beforeAll(() => ensureBuilt(), 120_000);

let seeded: string;
let exported: string;
beforeAll(async () => {
  seeded = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "chromalite-cli-seed-"));
  await seedFolder(seeded, { records: 500 });
  // A collection with an embedding function description, to see it survive the trip.
  const client = new PersistentClient({ path: seeded });
  await client.createCollection({
    name: "described",
    embeddingFunction: { name: "my-model", getConfig: () => ({ model: "m1", dims: 3 }), generate: () => Promise.resolve([]) },
    configuration: { hnsw: { space: "ip" } },
  });
  await client.close();
  exported = path.join(seeded, "..", `${path.basename(seeded)}.jsonl`);
  const { ctx } = captureContext();
  await exportFolder({ path: seeded, out: exported, tenant: "default_tenant", database: "default_database", pageSize: 64, quiet: true }, ctx);
  return () => {
    fs.rmSync(seeded, { recursive: true, force: true });
    fs.rmSync(exported, { force: true });
  };
}, 60_000);

function lines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("chromalite export / import", () => {
  it("round-trips everything through real processes: stdout JSONL into a new folder via stdin", async () => {
    const before = snapshot(seeded);
    const out = await runCli(["export", "--path", seeded, "--page-size", "100"]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^chromalite: exported 3 collections, 500 records from .* to stdout\n$/);
    const parsed = lines(out.stdout); // nothing but JSONL on stdout
    expect(parsed[0]).toMatchObject({ type: "chromalite-export", version: 1, tenant: "default_tenant", database: "default_database" });
    expect(parsed[1]).toMatchObject({
      type: "collection",
      name: "docs",
      metadata: { owner: "me", version: 2, tags: ["a", "b"] },
      configuration: {
        hnsw: { space: "cosine", ef_construction: 120, ef_search: 77, max_neighbors: 12, resize_factor: 1.2, sync_threshold: 1000 },
        embedding_function: null,
      },
      dimension: 8,
      count: 500,
    });
    // A record with a uri and no metadata reads as metadata {}, as in Chroma (which keeps the uri there).
    expect(parsed[2]).toMatchObject({ collection: "docs", id: "id-0", document: null, metadata: {}, uri: "s3://bucket/0" });
    expect((parsed[2]!.embedding as number[])[0]).toBe(0.1); // shortest float32 form, not 0.10000000149011612
    expect(parsed.at(-1)).toEqual({ type: "end", collections: 3, records: 500 });
    expect(snapshot(seeded)).toEqual(before);

    const target = tempDir();
    const imported = await runCli(["import", "--path", target], { stdin: out.stdout });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/imported 3 collections from stdin into .*: 500 records read, 500 added\n$/);
    const [a, b] = await Promise.all([dumpFolder(seeded), dumpFolder(target)]);
    expect(b).toEqual(a); // ids and order, float32 bytes, documents, metadatas, uris, metadata, configuration
    expect(b.find((c) => c.name === "described")!.configuration.embedding_function).toEqual({
      type: "known",
      name: "my-model",
      config: { model: "m1", dims: 3 },
    });
    // Negative zero and the other awkward floats came back bit for bit.
    const idx = a[0]!.ids.indexOf("id-1");
    expect(b[0]!.embeddings[idx]!.slice(0, 8)).toBe("00000080");
  });

  it("writes a file (complete or not at all) and imports it with a prefix, into another tenant", async () => {
    const file = path.join(tempDir(), "docs.jsonl");
    const out = await runCli(["export", "--path", seeded, "--collection", "docs", "--out", file, "--quiet"]);
    expect(out.code).toBe(0);
    expect(out.stdout + out.stderr).toBe("");
    expect(lines(fs.readFileSync(file, "utf8")).filter((l) => l.type === "collection").map((l) => l.name)).toEqual(["docs"]);

    const target = tempDir();
    const imported = await runCli(["import", "--path", target, "--in", file, "--collection-prefix", "restored-", "--tenant", "acme", "--database", "prod"]);
    expect(imported.code).toBe(0);
    const [got] = await dumpFolder(target, { tenant: "acme", database: "prod" });
    const [orig] = await dumpFolder(seeded);
    expect(got).toEqual({ ...orig, name: "restored-docs" });

    const missing = await runCli(["export", "--path", seeded, "--collection", "nope", "--out", path.join(path.dirname(file), "x.jsonl")]);
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /^chromalite: collection 'nope' not found in /);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["docs.jsonl"]); // no partial file left
  });

  it("stops at a bad line with its number, one line, non-zero", async () => {
    const text = fs.readFileSync(exported, "utf8").split("\n");
    const cases: [string, (l: string[]) => void, RegExp][] = [
      ["bad json", (l) => (l[4] = l[4]!.slice(0, -1)), /^chromalite: line 5: not valid JSON/],
      ["bad embedding", (l) => (l[5] = l[5]!.replace('"embedding":[', '"embedding":["x",')), /^chromalite: line 6: 'embedding\[0\]' must be a finite number, got "x"$/],
      ["wrong dimension", (l) => (l[6] = l[6]!.replace('"embedding":[', '"embedding":[1,')), /^chromalite: line 7: 'embedding' has 9 numbers; collection 'docs' has dimension 8$/],
      ["bad metadata", (l) => (l[7] = l[7]!.replace(/"metadata":(null|\{[^}]*\})/, '"metadata":{"$bad":1}')), /^chromalite: line 8: Invalid metadata key '\$bad'/],
      ["orphan record", (l) => l.splice(1, 1), /^chromalite: line 2: a record of collection 'docs' before any collection line$/],
      ["unknown type", (l) => (l[3] = '{"type":"mystery"}'), /^chromalite: line 4: unknown line type "mystery"$/],
      ["newer format", (l) => (l[0] = l[0]!.replace('"version":1', '"version":9')), /^chromalite: line 1: written in format version 9 by a newer chromalite/],
    ];
    for (const [what, edit, pattern] of cases) {
      const copy = [...text];
      edit(copy);
      const result = await runCli(["import", "--path", tempDir(), "--quiet"], { stdin: copy.join("\n") });
      expect(result.code, what).toBe(1);
      expectOneLineError(result, pattern);
    }
  });

  it("detects truncation, refuses an existing collection unless told to skip or upsert", async () => {
    const { ctx } = captureContext();
    const target = tempDir();
    const all = fs.readFileSync(exported, "utf8");
    const head = all.split("\n").slice(0, 200).join("\n");
    const base = { path: target, in: "-", onConflict: "fail" as const, tenant: "default_tenant", database: "default_database", batchSize: 50, quiet: true };
    await expect(importFolder({ ...base, stdin: streamOf(head) }, ctx)).rejects.toThrow(
      "collection 'docs': its line says 500 records, the file has 198 (the file looks truncated; the records it has were imported)",
    );
    const noEnd = all.trimEnd().split("\n").slice(0, -1).join("\n");
    await expect(importFolder({ ...base, path: tempDir(), stdin: streamOf(noEnd) }, ctx)).rejects.toThrow(/stdin ends without its end line: it looks truncated/);
    await expect(importFolder({ ...base, path: tempDir(), stdin: streamOf("") }, ctx)).rejects.toThrow("stdin is empty: nothing to import");

    // Resume the truncated import: existing records are kept, the rest added.
    await expect(importFolder({ ...base, stdin: streamOf(all) }, ctx)).rejects.toThrow(
      /^line 2: collection 'docs' already exists in .*: pass --on-conflict skip .* or --on-conflict upsert/,
    );
    const resumed = captureContext();
    await importFolder({ ...base, onConflict: "skip", json: true, stdin: streamOf(all) }, resumed.ctx);
    expect(await dumpFolder(target)).toEqual(await dumpFolder(seeded));
    // It says what it did: the 198 records already there skipped, the other 302 added.
    expect(JSON.parse(resumed.stdout())).toMatchObject({ command: "import", collections: 3, records: 500, added: 302, updated: 0, skipped: 198 });

    // Upsert overwrites records with the file's values.
    const client = new PersistentClient({ path: target });
    const docs = await client.getCollection({ name: "docs" });
    await docs.update({ ids: ["id-5"], uris: ["changed://5"] });
    await client.close();
    const skipped = captureContext();
    await importFolder({ ...base, onConflict: "skip", quiet: false, stdin: streamOf(all) }, skipped.ctx);
    expect((await dumpFolder(target))[0]!.uris[5]).toBe("changed://5");
    expect(skipped.stderr()).toMatch(/^chromalite: imported 3 collections from stdin into .*: 500 records read, 0 added, 500 skipped \(already there\)\n$/);
    const upserted = captureContext();
    await importFolder({ ...base, onConflict: "upsert", quiet: false, stdin: streamOf(all) }, upserted.ctx);
    expect(await dumpFolder(target)).toEqual(await dumpFolder(seeded));
    expect(upserted.stderr()).toMatch(/: 500 records read, 0 added, 500 replaced\n$/);
  });

  it("a file cut in the middle of a line keeps every good line before the damage (the batch in hand is written)", async () => {
    const { ctx } = captureContext();
    const target = tempDir();
    const all = fs.readFileSync(exported, "utf8").split("\n");
    // Lines 1-2: file and collection headers; 3-149: 147 records of 'docs'; line 150 cut in half.
    const cut = `${all.slice(0, 149).join("\n")}\n${all[149]!.slice(0, 40)}`;
    const base = { path: target, in: "-", onConflict: "fail" as const, tenant: "default_tenant", database: "default_database", batchSize: 50, quiet: true };
    await expect(importFolder({ ...base, stdin: streamOf(cut) }, ctx)).rejects.toThrow(/^line 150: not valid JSON/);
    const [docs] = await dumpFolder(target);
    expect(docs!.ids).toEqual(Array.from({ length: 147 }, (_, i) => `id-${i}`));
    // A record that breaks a rule (here: the wrong dimension) keeps the good lines before it too.
    const wrong = [...all.slice(0, 120), all[120]!.replace('"embedding":[', '"embedding":[1,')].join("\n");
    const other = tempDir();
    await expect(importFolder({ ...base, path: other, stdin: streamOf(wrong) }, ctx)).rejects.toThrow(/^line 121: 'embedding' has 9 numbers/);
    expect((await dumpFolder(other))[0]!.ids).toHaveLength(118);
  });

  it("keeps memory flat: reads a page at a time, writes it out before reading the next, imports in batches", async () => {
    // What the engine is asked to read, and when the output is written, in the order it happens.
    const events: string[] = [];
    const page = Object.getOwnPropertyDescriptor(Engine.prototype, "page")!.value as (this: Engine, ...a: Parameters<Engine["page"]>) => ReturnType<Engine["page"]>;
    const pages = vi.spyOn(Engine.prototype, "page").mockImplementation(function (this: Engine, ...args) {
      events.push("read");
      return page.apply(this, args);
    });
    const { ctx, stdout } = captureContext();
    const write = ctx.stdout.write.bind(ctx.stdout);
    vi.spyOn(ctx.stdout, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      events.push("write");
      return write(chunk as string, ...(rest as []));
    });
    try {
      await exportFolder({ path: seeded, collection: ["docs"], out: "-", tenant: "default_tenant", database: "default_database", pageSize: 7, quiet: true }, ctx);
    } finally {
      vi.restoreAllMocks();
    }
    const got = lines(stdout());
    expect(got.filter((l) => l.collection === "docs").map((l) => l.id)).toEqual(Array.from({ length: 500 }, (_, i) => `id-${i}`));
    // 500 records, 7 at a time: 72 reads of at most 7 rows, never the whole collection.
    expect(pages.mock.calls.map(([, limit]) => limit)).toEqual(Array.from({ length: 72 }, () => 7));
    // Each page is written out before the next is read: no two reads in a row.
    expect(events.join(" ")).not.toMatch(/read read/);

    // Import writes in batches of at most --batch-size records.
    const writes = vi.spyOn(Engine.prototype, "write");
    try {
      const target = tempDir();
      await importFolder({ path: target, in: "-", onConflict: "fail", tenant: "default_tenant", database: "default_database", batchSize: 50, quiet: true, stdin: streamOf(stdout()) }, captureContext().ctx);
      const sizes = writes.mock.calls.map(([, , batch]) => batch.ids.length);
      expect(sizes).toEqual(Array.from({ length: 10 }, () => 50));
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("draws a progress bar on a terminal only, and help texts document each command", async () => {
    const tty = new PassThrough() as PassThrough & { isTTY: boolean; columns: number };
    tty.isTTY = true;
    tty.columns = 80;
    let drawn = "";
    tty.setEncoding("utf8").on("data", (c: string) => (drawn += c));
    const bar = new Progress(tty);
    bar.start("docs", 200);
    bar.add(100);
    bar.end();
    bar.start("unknown-total");
    bar.add(7);
    bar.end();
    // Each redraw goes back to column 1 and clears the rest of the line (cli-progress's escapes).
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequence is what is drawn
    expect(drawn).toMatch(/\x1b\[1Gdocs ░{24} {3}0% 0\/200 0\/s\x1b\[0K/);
    // eslint-disable-next-line no-control-regex -- as above
    expect(drawn).toMatch(/\x1b\[1Gdocs █{12}░{12} {2}50% 100\/200 [\d,]+\/s ETA \d+s\x1b\[0K/);
    // eslint-disable-next-line no-control-regex -- as above
    expect(drawn).toMatch(/\x1b\[1Gunknown-total 7 [\d,]+\/s\x1b\[0K/);
    expect(drawn.endsWith("\n")).toBe(true);
    const pipe = new PassThrough();
    let piped = "";
    pipe.setEncoding("utf8").on("data", (c: string) => (piped += c));
    const quiet = new Progress(pipe);
    quiet.start("docs", 10);
    quiet.add(10);
    quiet.end();
    expect(piped).toBe("");

    for (const [command, flags] of [
      ["export", ["--path", "--collection", "--out", "--tenant", "--page-size"]],
      ["import", ["--path", "--in", "--collection-prefix", "--on-conflict", "--batch-size"]],
    ] as const) {
      const help = await runCli([command, "--help"]);
      expect(help.code).toBe(0);
      for (const flag of flags) expect(help.stdout).toContain(flag);
    }
  });
});

function streamOf(text: string): NodeJS.ReadableStream {
  const s = new PassThrough();
  s.end(text);
  return s;
}
