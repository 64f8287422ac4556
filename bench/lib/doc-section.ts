/**
 * Writes one delimited section of docs/benchmarks.md, leaving the rest of the file (other benchmarks'
 * sections) as it is: the text between `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->` is
 * replaced, or the section is appended.
 */
import fs from "node:fs";
import path from "node:path";

export const BENCHMARKS_MD = path.resolve(import.meta.dirname, "../../docs/benchmarks.md");

export function writeSection(name: string, title: string, body: string, file = BENCHMARKS_MD): void {
  const begin = `<!-- bench:${name}:begin (written by bench/; edit the script, not this text) -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n## ${title}\n\n${body.trim()}\n${end}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const at = text.indexOf(`<!-- bench:${name}:begin`);
  const stop = text.indexOf(end);
  const next =
    at >= 0 && stop > at ? text.slice(0, at) + block + text.slice(stop + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

/** The delimited sections other scripts wrote into `file`, to carry over when the file is rewritten. */
export function keptSections(file = BENCHMARKS_MD): string[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/<!-- bench:([\w-]+):begin[^>]*-->[\s\S]*?<!-- bench:\1:end -->/g)].map((m) => m[0]);
}
