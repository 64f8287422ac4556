/**
 * The README's runnable examples (```ts runnable blocks) and what each says it prints: every
 * `console.log(...) // expected` line must print its comment (`...` stands for more digits). Used on
 * the source (readme.test.ts) and in an app that installs the packed package (package/clone.test.ts).
 */
import fs from "node:fs";
import path from "node:path";

export function readmeExamples(readme = fs.readFileSync(path.resolve("README.md"), "utf8")): string[] {
  return [...readme.matchAll(/```ts runnable\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

export function normalise(text: string): string {
  return text.replace(/\s+/g, "").replace(/"/g, "");
}

function expectedPattern(comment: string): RegExp {
  const value = comment.split(/[:;] (?=\S)/)[0]!;
  const escaped = normalise(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\.\\\.\\\./g, "[0-9]*");
  return new RegExp(`^${escaped}$`);
}

/**
 * An example with each `console.log(` turned into `print(` and the patterns its comments expect, in
 * order. `print` must write its arguments as JSON, space-separated, one line per call.
 */
export function instrument(block: string, print: string): { source: string; expectations: RegExp[] } {
  const expectations: RegExp[] = [];
  const source = block
    .split("\n")
    .map((line) => {
      const m = /^(\s*)console\.log\((.*)\);\s*\/\/ (.*)$/.exec(line);
      if (!m) return line.replace(/console\.log\(/, `${print}(`);
      expectations.push(expectedPattern(m[3]!));
      return `${m[1]}${print}(${m[2]});`;
    })
    .join("\n");
  return { source, expectations };
}

/** The first printed line matching each expectation, in order; a message naming the first one missing. */
export function unmetExpectation(printed: string[], expectations: RegExp[]): string | undefined {
  let at = 0;
  for (const pattern of expectations) {
    while (at < printed.length && !pattern.test(normalise(printed[at]!))) at++;
    if (at >= printed.length) return `no printed line matches ${String(pattern)}; printed:\n${printed.join("\n")}`;
    at++;
  }
  return undefined;
}
