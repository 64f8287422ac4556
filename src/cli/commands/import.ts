/**
 * `chromalite import`: reads the JSONL of `chromalite export` as a stream (a file or stdin), creates
 * the collections with their configuration and adds the records in batches. A bad line stops the
 * import with its line number; every good line before it is imported (the batch in hand is written
 * first), so a fixed file resumes with --on-conflict skip. The summary counts what was done: records
 * added, replaced (upsert) and skipped (already there).
 */
import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { InvalidArgumentError } from "../../errors.js";
import { DEFAULT_DATABASE, DEFAULT_PATH, DEFAULT_TENANT } from "../../model/defaults.js";
import { ENV } from "../config.js";
import { UsageError, writeJson, type CliContext } from "../context.js";
import { integerOption, ON_CONFLICT, type OnConflict } from "../options.js";
import { formatCount, isTerminal, Progress } from "../progress.js";
import { FolderEndpoint } from "../transfer/folder.js";
import { readJsonl } from "../transfer/jsonl.js";
import {
  addCounts,
  describeCounts,
  emptyPage,
  noCounts,
  type CollectionSpec,
  type CollectionWriter,
  type RecordPage,
} from "../transfer/types.js";

export const DEFAULT_IMPORT_BATCH = 1000;

export interface ImportOptions {
  path: string;
  in: string;
  collectionPrefix?: string;
  onConflict: OnConflict;
  tenant: string;
  database: string;
  batchSize: number;
  quiet?: boolean;
  json?: boolean;
  /** Standard input (for tests); defaults to process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

/** Prefixes the message of an error with where it happened, keeping its type. */
function located(err: unknown, where: string): unknown {
  if (err instanceof Error) err.message = `${where}: ${err.message}`;
  return err;
}

interface Section {
  spec: CollectionSpec;
  name: string;
  writer: CollectionWriter;
  dimension: number | null;
  seen: number;
  buffer: RecordPage;
  firstLine: number;
  lastLine: number;
}

/** A write that failed: nothing more is written before the error is reported. */
class WriteFailed extends Error {
  constructor(readonly cause: unknown) {
    super("write failed");
  }
}

export async function importFolder(opts: ImportOptions, ctx: CliContext): Promise<void> {
  let input: NodeJS.ReadableStream;
  if (opts.in === "-") {
    input = opts.stdin ?? process.stdin;
    if (isTerminal(input)) {
      throw new UsageError("nothing to import: pass --in FILE, or pipe JSONL into stdin");
    }
  } else {
    const file = path.resolve(opts.in);
    if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
    // Large reads: the engine indexes in the background between I/O callbacks, one slice per chunk,
    // and with 64 KiB chunks that (useful, but deferrable) work would set the pace of the import.
    input = fs.createReadStream(file, { highWaterMark: 4 << 20 });
  }
  const source = opts.in === "-" ? "stdin" : path.resolve(opts.in);
  const sink = await FolderEndpoint.open(opts.path, { tenant: opts.tenant, database: opts.database, create: true, logger: ctx.logger });
  const batch = Math.min(opts.batchSize, sink.engine.maxBatchSize);
  const progress = new Progress(ctx.stderr, opts.quiet ? false : undefined);
  let section: Section | undefined;
  let collections = 0;
  let records = 0;
  const counts = noCounts();
  let sawHeader = false;
  let sawEnd = false;
  let first = true;

  const flush = async () => {
    if (!section || section.buffer.ids.length === 0) return;
    const s = section;
    const page = s.buffer;
    s.buffer = emptyPage(); // written or failed: either way not written again
    try {
      addCounts(counts, await s.writer.write(page));
    } catch (err) {
      throw new WriteFailed(located(err, `lines ${s.firstLine}-${s.lastLine} (collection '${s.name}')`));
    }
    records += page.ids.length;
    progress.add(page.ids.length);
  };
  const endSection = async () => {
    if (!section) return;
    await flush();
    progress.end();
    const { spec, seen, name } = section;
    section = undefined;
    if (spec.count !== null && spec.count !== seen) {
      throw new InvalidArgumentError(
        `collection '${name}': its line says ${formatCount(spec.count)} records, the file has ${formatCount(seen)}` +
          (seen < spec.count ? " (the file looks truncated; the records it has were imported)" : ""),
      );
    }
  };

  try {
    for await (const event of readJsonl(input)) {
      const wasFirst = first;
      first = false;
      switch (event.kind) {
        case "file":
          if (!wasFirst) throw new InvalidArgumentError(`line ${event.line}: the file header must be the first line`);
          sawHeader = true;
          break;
        case "collection": {
          await endSection();
          if (sawEnd) throw new InvalidArgumentError(`line ${event.line}: a collection after the end line`);
          const name = `${opts.collectionPrefix ?? ""}${event.spec.name}`;
          let writer: CollectionWriter;
          try {
            writer = await sink.open({ ...event.spec, name }, opts.onConflict);
          } catch (err) {
            throw located(err, `line ${event.line}`);
          }
          collections++;
          section = {
            spec: event.spec,
            name,
            writer,
            dimension: event.spec.dimension,
            seen: 0,
            buffer: emptyPage(),
            firstLine: event.line,
            lastLine: event.line,
          };
          progress.start(name, event.spec.count ?? undefined);
          break;
        }
        case "record": {
          const s = section;
          if (!s || event.collection !== s.spec.name) {
            throw new InvalidArgumentError(
              `line ${event.line}: a record of collection '${event.collection}' ${s ? `inside the section of '${s.spec.name}'` : "before any collection line"}`,
            );
          }
          s.dimension ??= event.embedding.length;
          if (event.embedding.length !== s.dimension) {
            throw new InvalidArgumentError(
              `line ${event.line}: 'embedding' has ${event.embedding.length} numbers; collection '${s.spec.name}' has dimension ${s.dimension}`,
            );
          }
          if (s.buffer.ids.length === 0) s.firstLine = event.line;
          s.lastLine = event.line;
          s.buffer.ids.push(event.id);
          s.buffer.embeddings.push(event.embedding);
          s.buffer.documents.push(event.document);
          s.buffer.metadatas.push(event.metadata);
          s.buffer.uris.push(event.uri);
          s.seen++;
          if (s.buffer.ids.length >= batch) await flush();
          break;
        }
        case "end":
          await endSection();
          sawEnd = true;
          if (event.collections !== collections || event.records !== records) {
            throw new InvalidArgumentError(
              `line ${event.line}: the end line counts ${event.collections} collections and ${event.records} records, the file has ${collections} and ${records}`,
            );
          }
          break;
      }
    }
    await endSection();
    if (first) throw new InvalidArgumentError(`${source} is empty: nothing to import`);
    if (sawHeader && !sawEnd) {
      throw new InvalidArgumentError(`${source} ends without its end line: it looks truncated (what it has was imported)`);
    }
    if (opts.json) {
      writeJson(ctx.stdout, { command: "import", source, destination: sink.description, collections, records, ...counts });
    } else if (!opts.quiet) {
      ctx.stderr.write(
        `chromalite: imported ${collections} collection${collections === 1 ? "" : "s"} from ${source} into ${sink.description}: ` +
          `${formatCount(records)} records read, ${describeCounts(counts, opts.onConflict)}\n`,
      );
    }
  } catch (err) {
    progress.clear();
    if (err instanceof WriteFailed) throw err.cause;
    // A bad line (or a bad record in it): the good lines before it are written before stopping.
    try {
      await flush();
    } catch (flushErr) {
      throw flushErr instanceof WriteFailed ? flushErr.cause : flushErr;
    }
    throw err;
  } finally {
    await sink.close();
  }
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("import")
    .description("read JSON Lines written by 'chromalite export' into a data folder")
    .addOption(new Option("--path <dir>", "data folder (created if missing)").default(DEFAULT_PATH).env(ENV.path))
    .option("--in <file>", "input file, or - for stdin", "-")
    .option("--collection-prefix <prefix>", "prepend this to every collection name")
    .addOption(
      new Option("--on-conflict <mode>", "when a collection exists: fail, skip (keep existing records, add new ones) or upsert")
        .choices(ON_CONFLICT)
        .default("fail"),
    )
    .option("--tenant <name>", "tenant to import into (created if missing)", DEFAULT_TENANT)
    .option("--database <name>", "database to import into (created if missing)", DEFAULT_DATABASE)
    .addOption(
      new Option("--batch-size <n>", "records per write (at most the engine's max batch size)")
        .argParser(integerOption("--batch-size", 1, 100_000))
        .default(DEFAULT_IMPORT_BATCH),
    )
    .option("--quiet", "no progress bar and no summary on stderr")
    .option("--json", "print the summary as one JSON object on stdout (counts: records, added, updated, skipped)")
    .addHelpText(
      "after",
      `
A bad line stops the import with its line number; every good line before it is imported, so fix
the file and run again with --on-conflict skip to resume.

Examples:
  chromalite import --path ./restored --in backup.jsonl
  gunzip -c docs.jsonl.gz | chromalite import --path ./chroma-data --collection-prefix restored-`,
    )
    .action((opts: ImportOptions) => importFolder(opts, context()));
}
