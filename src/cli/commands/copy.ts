/**
 * `chromalite copy`: collections and records between a chromalite folder and a Chroma server (or
 * two of either), in pages and batches; the way from one machine to a Chroma server or cluster, and
 * back. Servers are reached through the official `chromadb` client (an optional peer dependency).
 */
import fs from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_DATABASE, DEFAULT_TENANT } from "../../model/defaults.js";
import { UsageError, writeJson, type CliContext } from "../context.js";
import { existingDataFolder, integerOption, ON_CONFLICT, type OnConflict } from "../options.js";
import { formatCount, Progress } from "../progress.js";
import { FolderEndpoint } from "../transfer/folder.js";
import { isServerUrl, ServerEndpoint } from "../transfer/server.js";
import { addCounts, describeCounts, noCounts, slices, type Sink, type Source } from "../transfer/types.js";

export const DEFAULT_COPY_PAGE = 500;

export interface CopyOptions {
  from: string;
  to: string;
  collection?: string[];
  token?: string;
  fromToken?: string;
  toToken?: string;
  tenant: string;
  database: string;
  fromTenant?: string;
  fromDatabase?: string;
  toTenant?: string;
  toDatabase?: string;
  onConflict: OnConflict;
  pageSize: number;
  quiet?: boolean;
  json?: boolean;
}

type Endpoint = Source & Sink;

async function openEndpoint(
  target: string,
  side: "from" | "to",
  opts: CopyOptions,
  ctx: CliContext,
): Promise<Endpoint> {
  const tenant = (side === "from" ? opts.fromTenant : opts.toTenant) ?? opts.tenant;
  const database = (side === "from" ? opts.fromDatabase : opts.toDatabase) ?? opts.database;
  if (isServerUrl(target)) {
    const token = (side === "from" ? opts.fromToken : opts.toToken) ?? opts.token;
    return ServerEndpoint.connect(target, { token, tenant, database, logger: ctx.logger, create: side === "to" });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) throw new UsageError(`--${side} ${target}: only http:// and https:// servers are supported`);
  const dir = side === "from" ? existingDataFolder(target) : path.resolve(target);
  return FolderEndpoint.open(dir, { tenant, database, create: side === "to", logger: ctx.logger });
}

function sameFolder(a: string, b: string): boolean {
  if (isServerUrl(a) || isServerUrl(b) || !fs.existsSync(a) || !fs.existsSync(b)) return false;
  return fs.realpathSync(a) === fs.realpathSync(b);
}

export async function copy(opts: CopyOptions, ctx: CliContext): Promise<void> {
  if (sameFolder(opts.from, opts.to) && (opts.fromTenant ?? opts.tenant) === (opts.toTenant ?? opts.tenant) && (opts.fromDatabase ?? opts.database) === (opts.toDatabase ?? opts.database)) {
    throw new UsageError("--from and --to are the same folder, tenant and database");
  }
  const source = await openEndpoint(opts.from, "from", opts, ctx);
  let sink: Endpoint | undefined;
  const progress = new Progress(ctx.stderr, opts.quiet ? false : undefined);
  try {
    sink = await openEndpoint(opts.to, "to", opts, ctx);
    const specs = await source.collections(opts.collection ?? []);
    sink.check?.(specs);
    let records = 0;
    const counts = noCounts();
    for (const spec of specs) {
      const writer = await sink.open(spec, opts.onConflict);
      progress.start(spec.name, spec.count ?? undefined);
      for await (const page of source.pages(spec, opts.pageSize)) {
        for (const part of slices(page, writer.maxBatch)) {
          addCounts(counts, await writer.write(part));
          records += part.ids.length;
          progress.add(part.ids.length);
        }
      }
      progress.end();
    }
    if (opts.json) {
      writeJson(ctx.stdout, {
        command: "copy",
        source: source.description,
        destination: sink.description,
        collections: specs.length,
        records,
        ...counts,
      });
    } else if (!opts.quiet) {
      ctx.stderr.write(
        `chromalite: copied ${specs.length} collection${specs.length === 1 ? "" : "s"} from ${source.description} to ${sink.description}: ` +
          `${formatCount(records)} records read, ${describeCounts(counts, opts.onConflict)}\n`,
      );
    }
  } catch (err) {
    progress.clear();
    throw err;
  } finally {
    await sink?.close();
    await source.close();
  }
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("copy")
    .description("copy collections between a data folder and a Chroma server (either direction, or folder to folder)")
    .requiredOption("--from <folder|url>", "source: a data folder or http(s)://host:port of a Chroma server")
    .requiredOption("--to <folder|url>", "destination: a data folder (created if missing) or a server URL")
    .option("--collection <name...>", "only these collections (repeatable; default: all)")
    .addOption(new Option("--token <token>", "token for both servers (x-chroma-token and Authorization: Bearer)").env("CHROMALITE_COPY_TOKEN"))
    .option("--from-token <token>", "token for the source server")
    .option("--to-token <token>", "token for the destination server")
    .option("--tenant <name>", "tenant on both sides", DEFAULT_TENANT)
    .option("--database <name>", "database on both sides", DEFAULT_DATABASE)
    .option("--from-tenant <name>", "tenant of the source (default: --tenant)")
    .option("--from-database <name>", "database of the source (default: --database)")
    .option("--to-tenant <name>", "tenant of the destination, created if missing (default: --tenant)")
    .option("--to-database <name>", "database of the destination, created if missing (default: --database)")
    .addOption(
      new Option("--on-conflict <mode>", "when a collection exists at the destination: fail, skip (keep existing records, add new ones) or upsert")
        .choices(ON_CONFLICT)
        .default("fail"),
    )
    .addOption(
      new Option("--page-size <n>", "records read per request").argParser(integerOption("--page-size", 1, 100_000)).default(DEFAULT_COPY_PAGE),
    )
    .option("--quiet", "no progress bar and no summary on stderr")
    .option("--json", "print the summary as one JSON object on stdout (counts: records, added, updated, skipped)")
    .addHelpText(
      "after",
      `
Collections keep their metadata and configuration (HNSW space and parameters, embedding function
description); records keep ids, order, embeddings (exact float32), documents, metadatas and uris.
Copying to or from a server needs the official client: npm install chromadb.

Examples:
  chromalite copy --from ./chroma-data --to http://chroma.internal:8000 --token "$TOKEN"
  chromalite copy --from https://chroma.example.com --to ./local-copy --collection docs
  chromalite copy --from ./chroma-data --to ./other-folder --to-database archive`,
    )
    .action((opts: CopyOptions) => copy(opts, context()));
}
