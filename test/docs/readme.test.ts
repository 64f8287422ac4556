/**
 * Every ```ts runnable block of the README runs here, on a fresh folder, against the source; and each
 * `console.log(...) // expected` line must print what its comment says (`...` stands for more digits).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { tempDir } from "../helpers/tmp.js";
import { instrument, readmeExamples, unmetExpectation } from "./readme-examples.js";

const blocks = readmeExamples();
const SRC = path.resolve("src/index.ts");
// An example may start a second process on the folder (the many-processes one): it imports the source too.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import tsx`.trim();

describe("README examples", () => {
  it("has runnable examples", () => expect(blocks.length).toBeGreaterThanOrEqual(5));

  blocks.forEach((block, n) => {
    it(`example ${n + 1} runs and prints what it says`, async () => {
      const dir = tempDir("chromalite-readme-");
      const printed: string[] = [];
      const { source, expectations } = instrument(
        block.replaceAll('"./chroma-data"', JSON.stringify(dir)).replace(/from "chromalite"/g, `from ${JSON.stringify(SRC)}`),
        "__print",
      );
      const file = path.join(path.dirname(SRC), `../test/docs/.readme-${process.pid}-${n}.ts`);
      fs.writeFileSync(file, `const __print = (...a: unknown[]) => (globalThis as any).__readmePrint(a);\n${source}\nexport {};\n`);
      onTestFinished(() => fs.rmSync(file, { force: true }));
      (globalThis as Record<string, unknown>).__readmePrint = (args: unknown[]) =>
        printed.push(args.map((a) => JSON.stringify(a)).join(" "));
      await import(file);
      // Lines printed without an expectation comment (loops) are allowed; every expectation must match in order.
      const unmet = unmetExpectation(printed, expectations);
      expect(unmet === undefined, unmet).toBe(true);
    });
  });
});
