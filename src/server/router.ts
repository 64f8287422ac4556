/** A small exact-segment router: `/api/v2/tenants/:tenant` style patterns, no regular expressions. */

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export type RouteResult<H> =
  | { kind: "found"; match: RouteMatch<H> }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" }
  /** The route matched, but a parameter's percent-encoding is not UTF-8 (e.g. an encoded surrogate). */
  | { kind: "bad-parameter"; name: string };

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

export class Router<H> {
  readonly #routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.#routes.push({ method, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  /**
   * Finds the route for a request. Literal segments win over parameters (`collections/by-id/x` is
   * not `collections/:name/...`), then routes are tried in the order they were added.
   */
  match(method: string, pathname: string): RouteResult<H> {
    // undefined: malformed percent-encoding, which matches no literal segment
    const segments = pathname.split("/").filter(Boolean).map(decode);
    const allow = new Set<string>();
    let best: { route: Route<H>; params: Record<string, string>; literals: number; bad?: string } | undefined;
    for (const route of this.#routes) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      let bad: string | undefined;
      for (let i = 0; i < segments.length; i++) {
        const pattern = route.segments[i]!;
        const segment = segments[i];
        if (pattern.startsWith(":")) {
          if (segment === undefined) bad ??= pattern.slice(1);
          else params[pattern.slice(1)] = segment;
        } else if (pattern === segment) literals++;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (route.method !== method) {
        allow.add(route.method);
        continue;
      }
      if (!best || literals > best.literals) best = { route, params, literals, ...(bad === undefined ? {} : { bad }) };
    }
    if (best?.bad !== undefined) return { kind: "bad-parameter", name: best.bad };
    if (best) return { kind: "found", match: { handler: best.route.handler, params: best.params } };
    if (allow.size > 0) return { kind: "method-not-allowed", allow: [...allow] };
    return { kind: "not-found" };
  }
}
