/**
 * The official client's own floor (bench/server-load.ts, "server path"): a trivial node:http server
 * in a process of its own that first forwards every request to a real server and keeps each answer
 * (by method and path), then, after `POST /__replay`, answers every request at once with the answer
 * kept for its method and path, whatever the body. A query then costs the client its own work (build
 * the request, HTTP on loopback, parse a response of the real shape and size) and nothing else.
 *
 * IPC: ← {target: "http://host:port"} → {port}. It exits when its parent goes away or on SIGTERM.
 */
import http from "node:http";

interface Kept {
  status: number;
  type: string;
  body: Buffer;
}

const kept = new Map<string, Kept>();
let replay = false;
let target = "";

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const server = http.createServer((req, res) => {
  void (async () => {
    const key = `${req.method} ${(req.url ?? "/").split("?")[0]}`;
    const body = await readBody(req);
    if (key === "POST /__replay") {
      replay = true;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kept: [...kept.keys()] }));
      return;
    }
    let answer = replay ? kept.get(key) : undefined;
    if (!replay) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      const r = await fetch(target + (req.url ?? "/"), { method: req.method, headers, body: body.length ? body : undefined });
      answer = { status: r.status, type: r.headers.get("content-type") ?? "application/json", body: Buffer.from(await r.arrayBuffer()) };
      kept.set(key, answer);
    }
    if (!answer) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "NotFound", message: `nothing kept for ${key}` }));
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.type, "content-length": answer.body.length }).end(answer.body);
  })().catch((err: unknown) => {
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "Internal", message: String(err) }));
  });
});
server.keepAliveTimeout = 60_000;

process.on("message", (msg: { target?: string }) => {
  if (!msg.target) return;
  target = msg.target;
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.send?.({ port: typeof addr === "object" && addr ? addr.port : 0 });
  });
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
