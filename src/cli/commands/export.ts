/**
 * `chromalite export`: a folder's collections (one tenant and database) as streaming JSONL: collection
 * definitions and records, a page at a time, so memory stays flat however large the collection.
 * stdout carries nothing but JSONL; progress and the summary go to stderr.
 */
import { Option, type Command } from "commander";
import { VERSION } from "../../version.js";
import { DEFAULT_DATABASE, DEFAULT_PATH, DEFAULT_TENANT } from "../../model/defaults.js";
import { ENV } from "../config.js";
import { writeJson, type CliContext } from "../context.js";
import { existingDataFolder, integerOption } from "../options.js";
import { formatCount, Progress } from "../progress.js";
import { FolderEndpoint } from "../transfer/folder.js";
import { collectionLine, endLine, fileHeaderLine, recordLines } from "../transfer/jsonl.js";
import { Output } from "../transfer/output.js";

export const DEFAULT_PAGE_SIZE = 1000;

export interface ExportOptions {
  path: string;
  collection?: string[];
  out: string;
  tenant: string;
  database: string;
  pageSize: number;
  quiet?: boolean;
  json?: boolean;
}

export async function exportFolder(opts: ExportOptions, ctx: CliContext): Promise<void> {
  const source = await FolderEndpoint.open(existingDataFolder(opts.path), {
    tenant: opts.tenant,
    database: opts.database,
    create: false,
    logger: ctx.logger,
  });
  const progress = new Progress(ctx.stderr, opts.quiet ? false : undefined);
  let output: Output | undefined;
  try {
    const specs = await source.collections(opts.collection ?? []);
    output = opts.out === "-" ? Output.stdout(ctx.stdout) : Output.file(opts.out);
    await output.write(fileHeaderLine({ chromalite: VERSION, tenant: opts.tenant, database: opts.database }));
    let records = 0;
    for (const spec of specs) {
      await output.write(collectionLine(spec));
      progress.start(spec.name, spec.count ?? undefined);
      for await (const page of source.pages(spec, opts.pageSize)) {
        await output.write(recordLines(spec.name, page));
        records += page.ids.length;
        progress.add(page.ids.length);
      }
      progress.end();
    }
    await output.write(endLine(specs.length, records));
    await output.finish();
    if (opts.json) {
      // stdout may be the export itself: then the summary goes to stderr.
      const stream = opts.out === "-" ? ctx.stderr : ctx.stdout;
      writeJson(stream, { command: "export", source: source.description, destination: output.name, collections: specs.length, records });
    } else if (!opts.quiet) {
      ctx.stderr.write(
        `chromalite: exported ${specs.length} collection${specs.length === 1 ? "" : "s"}, ${formatCount(records)} records from ${source.description} to ${output.name}\n`,
      );
    }
  } catch (err) {
    progress.clear();
    output?.abort();
    throw err;
  } finally {
    await source.close();
  }
}

export function register(program: Command, context: () => CliContext): void {
  program
    .command("export")
    .description("write collections (definitions and records) as JSON Lines, to a file or stdout")
    .addOption(new Option("--path <dir>", "data folder").default(DEFAULT_PATH).env(ENV.path))
    .option("--collection <name...>", "only these collections (repeatable; default: all)")
    .option("--out <file>", "output file, or - for stdout", "-")
    .option("--tenant <name>", "tenant of the collections", DEFAULT_TENANT)
    .option("--database <name>", "database of the collections", DEFAULT_DATABASE)
    .addOption(
      new Option("--page-size <n>", "records read per page").argParser(integerOption("--page-size", 1, 100_000)).default(DEFAULT_PAGE_SIZE),
    )
    .option("--quiet", "no progress bar and no summary on stderr")
    .option("--json", "print the summary as one JSON object (on stdout; on stderr when stdout is the export)")
    .addHelpText(
      "after",
      `
Format (one JSON object per line): a file header; per collection a line
{"type":"collection","name","id","metadata","configuration","dimension","count"} followed by one line
per record {"collection","id","embedding","document","metadata","uri"}; an end line with the totals.
Embeddings are written in shortest float32 form and read back bit for bit by 'chromalite import'.

Examples:
  chromalite export --path ./chroma-data --out backup.jsonl
  chromalite export --path ./chroma-data --collection docs --collection notes | gzip > docs.jsonl.gz`,
    )
    .action((opts: ExportOptions) => exportFolder(opts, context()));
}
