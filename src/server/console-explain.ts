/**
 * The console's explain endpoints: a query's plan (`explain`, the body of `/query`) and a search's
 * per-hit parts (`search/explain`, the body of `/search`: what each `$knn` gave each hit, BM25 split
 * by query term). Both run the same engine calls as the API and say which filter clause each hit
 * satisfies: the members of a top-level `$and`, else the whole filter.
 */
import type { Engine } from "../engine/engine.js";
import type { QueryPlan } from "../engine/explain.js";
import { InvalidArgumentError } from "../errors.js";
import { parseFilters } from "../model/filter.js";
import { columnsOf, QUERY_DEFAULT_INCLUDE } from "../model/include.js";
import { isObject, type JsonObject } from "../model/json.js";
import { validateEmbeddings } from "../model/records.js";
import { searchExplain, searchResponse } from "../model/search-result.js";
import { parseSearchPayload } from "../model/search.js";
import type { Where, WhereDocument } from "../types.js";
import type { OperationScope } from "../util/abort.js";
import { queryResponseJson } from "./json.js";
import { COLLECTION, collectionId, run, scopedCollection, type Route } from "./request.js";
import { decodeEmbeddings, optFilter, optStringArray, optU32, parseInclude, requireField } from "./wire.js";

type Clause = { label: string; where?: Where; whereDocument?: WhereDocument };

/** The members of a top-level `$and` (a filter alone is one clause). */
function members(where: JsonObject): JsonObject[] {
  const and = where.$and;
  return Array.isArray(and) && Object.keys(where).length === 1 ? and.filter(isObject) : [where];
}

function queryClauses(where: Where | undefined, whereDocument: WhereDocument | undefined): Clause[] {
  const out: Clause[] = [];
  if (where !== undefined) for (const w of members(where)) out.push({ label: JSON.stringify(w), where: w as Where });
  if (whereDocument !== undefined) out.push({ label: `document ${JSON.stringify(whereDocument)}`, whereDocument });
  return out;
}

const ms = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** A search's filter clauses, each with the hits (of `ids`) it lets through: a rank-less search over them. */
async function searchClauses(engine: Engine, id: string, filter: unknown, ids: string[], scope: OperationScope) {
  if (!isObject(filter)) return [];
  const out = [];
  for (const clause of members(filter)) {
    const plan = parseSearchPayload({ filter: { $and: [clause, { "#id": { $in: ids } }] }, select: [] });
    const [rows] = ids.length === 0 ? [[]] : await engine.search(id, [plan], scope);
    out.push({ clause: JSON.stringify(clause), matched: (rows ?? []).map((r) => r.row.id) });
  }
  return out;
}

export function explainRoutes(api: string): Route[] {
  return [
    [
      "POST",
      `${api}${COLLECTION}/explain`,
      {
        body: true,
        handler: async (ctx) => {
          const id = collectionId(ctx);
          const body: JsonObject = ctx.body;
          const raw = decodeEmbeddings(requireField(body, "query_embeddings"), "query_embeddings", { nullEntries: false });
          const queries = validateEmbeddings(raw, null, "query_embeddings");
          const nResults = optU32(body, "n_results") ?? 10;
          const ids = optStringArray(body, "ids");
          const include = parseInclude(body, QUERY_DEFAULT_INCLUDE);
          const where = optFilter(body, "where") as Where | undefined;
          const whereDocument = optFilter(body, "where_document") as WhereDocument | undefined;
          const filter = parseFilters(where, whereDocument);
          return run(ctx, "console.explain", async (scope) => {
            scopedCollection(ctx, id);
            const plans: QueryPlan[] = [];
            const started = performance.now();
            const hits = await ctx.engine.query(id, { queries, nResults, ids, filter, columns: columnsOf(include), explain: plans }, scope);
            const took = ms(started);
            // Which clause each hit satisfies: one get per clause over the hits' ids.
            const clauses = queryClauses(where, whereDocument);
            const hitIds = [...new Set(hits.flatMap((list) => list.map((h) => h.row.id)))];
            const matchedBy: string[][] = [];
            for (const c of clauses) {
              const rows = hitIds.length === 0 ? [] : await ctx.engine.get(id, { ids: hitIds, filter: parseFilters(c.where, c.whereDocument), columns: columnsOf([]) }, scope);
              matchedBy.push(rows.map((r) => r.id));
            }
            const result = JSON.parse(await queryResponseJson(hits, include, scope)) as unknown;
            return { json: { result, plans, ms: took, clauses: clauses.map((c, i) => ({ clause: c.label, matched: matchedBy[i] })) } };
          });
        },
      },
    ],
    [
      "POST",
      `${api}${COLLECTION}/search/explain`,
      {
        body: true,
        handler: async (ctx) => {
          const id = collectionId(ctx);
          const searches = requireField(ctx.body, "searches");
          if (!Array.isArray(searches)) throw new InvalidArgumentError("Validation error: searches: expected a list of search payloads");
          const plans = searches.map((s, i) => parseSearchPayload(s, `searches[${i}]`));
          for (const plan of plans) plan.explain = true;
          return run(ctx, "console.searchExplain", async (scope) => {
            scopedCollection(ctx, id);
            const started = performance.now();
            const hits = await ctx.engine.search(id, plans, scope);
            const took = ms(started);
            const clauses = [];
            for (const [i, s] of searches.entries()) {
              const p = s as JsonObject;
              clauses.push(await searchClauses(ctx.engine, id, p.filter ?? p.where, (hits[i] ?? []).map((h) => h.row.id), scope));
            }
            return { json: { result: searchResponse(plans, hits), explains: searchExplain(hits), ms: took, clauses } };
          });
        },
      },
    ],
  ];
}
