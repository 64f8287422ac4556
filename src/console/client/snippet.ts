/** The official chromadb client's TypeScript for what the console just ran, ready to copy. */
import type { CollectionJson } from "./api.js";

const js = (v: unknown) => JSON.stringify(v);

function header(c: CollectionJson): string[] {
  const { host, port } = window.location;
  const [hostname] = host.split(":");
  return [
    `import { ChromaClient } from "chromadb";`,
    ``,
    `const client = new ChromaClient({`,
    `  host: ${js(hostname)},`,
    `  port: ${port === "" ? 80 : Number(port)},`,
    `  tenant: ${js(c.tenant)},`,
    `  database: ${js(c.database)},`,
    `  headers: { "x-chroma-token": process.env.CHROMA_TOKEN ?? "" }, // when the server has a token`,
    `});`,
    `const collection = await client.getCollection({ name: ${js(c.name)} });`,
  ];
}

export interface QuerySpec {
  mode: "vector" | "record" | "text" | "embed";
  vector?: number[];
  recordId?: string;
  text?: string;
  nResults: number;
  where?: unknown;
  whereDocument?: unknown;
  include: string[];
}

export function querySnippet(c: CollectionJson, q: QuerySpec): string {
  const lines = header(c);
  const filters = [q.where === undefined ? null : `  where: ${js(q.where)},`, q.whereDocument === undefined ? null : `  whereDocument: ${js(q.whereDocument)},`].filter(
    (l): l is string => l !== null,
  );
  if (q.mode === "text") {
    lines[0] = `import { ChromaClient, Knn, Search } from "chromadb"; // and npm install @chroma-core/chroma-bm25`;
    let where = q.where;
    if (q.whereDocument !== undefined) where = where === undefined ? { "#document": q.whereDocument } : { $and: [where, { "#document": q.whereDocument }] };
    lines.push(
      `const search = new Search()`,
      ...(where === undefined ? [] : [`  .where(${js(where)})`]),
      `  .rank(Knn({ query: ${js(q.text ?? "")}, key: "#document" }))`,
      `  .limit(${q.nResults})`,
      `  .select(["#document", "#score", "#metadata"]);`,
      `const result = await collection.search(search);`,
    );
    return lines.join("\n");
  }
  if (q.mode === "record") {
    lines.push(`const { embeddings } = await collection.get({ ids: [${js(q.recordId ?? "")}], include: ["embeddings"] });`);
  }
  const queryEmbeddings = q.mode === "record" ? "embeddings" : js([q.vector ?? []]);
  lines.push(
    `const result = await collection.query({`,
    // The official client rebuilds the collection's embedding function from its configuration.
    q.mode === "embed" ? `  queryTexts: ${js([q.text ?? ""])},` : `  queryEmbeddings: ${queryEmbeddings},`,
    `  nResults: ${q.nResults},`,
    ...filters,
    `  include: ${js(q.include)},`,
    `});`,
  );
  return lines.join("\n");
}
