/**
 * Every ```ts runnable block of the README runs here, on a fresh folder, against the source; and each
 * `console.log(...) // expected` line must print what its comment says (`...` stands for more digits).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { tempDir } from "../helpers/tmp.js";

const README = fs.readFileSync(path.resolve("README.md"), "utf8");
const blocks = [...README.matchAll(/```ts runnable\n([\s\S]*?)```/g)].map((m) => m[1]!);
const SRC = path.resolve("src/index.ts");

function normalise(text: string): string {
  return text.replace(/\s+/g, "").replace(/"/g, "");
}

function expectedPattern(comment: string): RegExp {
  const value = comment.split(/[:;] (?=\S)/)[0]!;
  const escaped = normalise(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\.\\\.\\\./g, "[0-9]*");
  return new RegExp(`^${escaped}$`);
}

describe("README examples", () => {
  it("has runnable examples", () => expect(blocks.length).toBeGreaterThanOrEqual(5));

  blocks.forEach((block, n) => {
    it(`example ${n + 1} runs and prints what it says`, async () => {
      const dir = tempDir("chromalite-readme-");
      const printed: string[] = [];
      const expectations: RegExp[] = [];
      const source = block
        .replaceAll('"./chroma-data"', JSON.stringify(dir))
        .replace(/from "chromalite"/g, `from ${JSON.stringify(SRC)}`)
        .split("\n")
        .map((line) => {
          const m = /^(\s*)console\.log\((.*)\);\s*\/\/ (.*)$/.exec(line);
          if (!m) return line.replace(/console\.log\(/, "__print(");
          expectations.push(expectedPattern(m[3]!));
          return `${m[1]}__print(${m[2]});`;
        })
        .join("\n");
      const file = path.join(path.dirname(SRC), `../test/docs/.readme-${process.pid}-${n}.ts`);
      fs.writeFileSync(file, `const __print = (...a: unknown[]) => (globalThis as any).__readmePrint(a);\n${source}\nexport {};\n`);
      onTestFinished(() => fs.rmSync(file, { force: true }));
      (globalThis as Record<string, unknown>).__readmePrint = (args: unknown[]) =>
        printed.push(args.map((a) => JSON.stringify(a)).join(" "));
      await import(file);
      const checked = printed.filter((_, i) => i < printed.length);
      // Lines printed without an expectation comment (loops) are allowed; every expectation must match in order.
      let at = 0;
      for (const pattern of expectations) {
        while (at < checked.length && !pattern.test(normalise(checked[at]!))) at++;
        expect(at < checked.length, `no printed line matches ${pattern}; printed:\n${printed.join("\n")}`).toBe(true);
        at++;
      }
    });
  });
});
