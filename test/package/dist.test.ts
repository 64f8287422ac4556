import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type * as Chromalite from "../../src/index.js";

const pkg = JSON.parse(fs.readFileSync(path.resolve("package.json"), "utf8")) as {
  exports: Record<string, { types: string; default: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

/**
 * Every declaration file the public types reach (from each export's `types`), and the packages they
 * import. Comments are dropped first: an `@example` naming a package imports nothing.
 */
function publicDeclarations(): { files: string[]; packages: Map<string, string[]> } {
  const files = new Set<string>();
  const packages = new Map<string, string[]>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(/(?:\bfrom|\bimport\(?)\s*["']([^"']+)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".d.ts")));
      else if (!spec.startsWith("node:")) {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        packages.set(name, [...(packages.get(name) ?? []), path.relative("dist", file)]);
      }
    }
  };
  for (const target of Object.values(pkg.exports)) if (typeof target !== "string") visit(path.resolve(target.types));
  return { files: [...files].map((f) => path.relative("dist", f)), packages };
}
const built = fs.existsSync(path.resolve("dist/index.js"));

// `npm test` builds first; a bare `vitest run` without a build skips this visibly.
describe.skipIf(!built)("the built package (dist/, run `npm run build` first)", () => {
  it("declares types before default for every export, and every file exists", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      expect(Object.keys(target)[0], subpath).toBe("types");
      expect(fs.existsSync(path.resolve(target.types)), target.types).toBe(true);
      expect(fs.existsSync(path.resolve(target.default)), target.default).toBe(true);
    }
    for (const bin of Object.values(pkg.bin)) expect(fs.readFileSync(path.resolve(bin), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
  });

  it("public declarations stand alone: they reach no internal layer and no package outside `dependencies`", () => {
    const { files, packages } = publicDeclarations();
    expect(files).toContain("index.d.ts");
    // The engine and the store are implementation: their types (better-sqlite3's among them) stay out.
    expect(files.filter((f) => /^(engine|store|vector|cli)\//.test(f))).toEqual([]);
    for (const [name, importers] of packages) {
      expect(Object.keys(pkg.dependencies), `${name}, imported by ${importers.join(", ")}`).toContain(name);
    }
  });

  it("works when imported from dist/", async () => {
    const mod = (await import(path.resolve("dist/index.js"))) as typeof Chromalite;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromalite-dist-"));
    try {
      const client = new mod.PersistentClient({ path: dir });
      const c = await client.createCollection({ name: "from-dist" });
      await c.add({ ids: ["a"], embeddings: [[1, 2, 3]], documents: ["doc"] });
      const q = await c.query({ queryEmbeddings: [[1, 2, 3]], nResults: 1 });
      expect(q.rows()[0]![0]).toMatchObject({ id: "a", document: "doc", distance: 0 });
      await expect(c.add({ ids: ["b"], embeddings: [[1, 2]] })).rejects.toBeInstanceOf(mod.InvalidArgumentError);
      await client.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
